package flashsale.sale;

import java.util.OptionalLong;

/** Where an event stands at a given time: the one rule regions and the arbiter both answer GetEvent with. */
public enum SaleState {
  SCHEDULED,
  OPEN,
  SOLD_OUT,
  ENDED;

  /**
   * The state at {@code nowMicros} (the caller's clock). A sold-out event reads SOLD_OUT even after
   * its end, since that is what a buyer most wants to know about it; before its start it is
   * SCHEDULED whatever else is known.
   */
  public static SaleState at(EventSpec spec, boolean soldOut, long nowMicros) {
    if (nowMicros < spec.startMicros()) return SCHEDULED;
    if (soldOut) return SOLD_OUT;
    if (nowMicros >= spec.endMicros()) return ENDED;
    return OPEN;
  }

  /** As above, given the sold-out stamp if there is one. */
  public static SaleState at(EventSpec spec, OptionalLong soldOutMicros, long nowMicros) {
    return at(spec, soldOutMicros.isPresent(), nowMicros);
  }
}
