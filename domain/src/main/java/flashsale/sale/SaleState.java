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

  /**
   * An auction's state at {@code nowMicros}: as {@link #at(EventSpec, boolean, long)}, but it takes
   * bids (OPEN) until its close as it stands, {@code closeMicros}, which soft close may have moved
   * past its end; ENDED from that close on, or once its result is stored ({@code closed}).
   */
  public static SaleState ofAuction(EventSpec spec, boolean soldOut, long closeMicros, boolean closed, long nowMicros) {
    if (spec.auction().isEmpty()) throw new IllegalArgumentException("event " + spec.eventId() + " is no auction");
    if (nowMicros < spec.startMicros()) return SCHEDULED;
    if (soldOut) return SOLD_OUT;
    if (closed || nowMicros >= closeMicros) return ENDED;
    return OPEN;
  }

  /** As above, given the sold-out stamp if there is one. */
  public static SaleState at(EventSpec spec, OptionalLong soldOutMicros, long nowMicros) {
    return at(spec, soldOutMicros.isPresent(), nowMicros);
  }
}
