package flashsale.region.core;

import flashsale.sale.EventSpec;
import java.util.OptionalLong;

/** Where an event stands as a buyer at this region sees it. */
public enum SaleState {
  SCHEDULED,
  OPEN,
  SOLD_OUT,
  ENDED;

  /**
   * The state at {@code nowMicros} on the region's clock. A sold-out event reads SOLD_OUT even after
   * its end, since that is what a buyer most wants to know about it.
   */
  public static SaleState at(EventSpec spec, OptionalLong soldOutMicros, long nowMicros) {
    if (nowMicros < spec.startMicros()) return SCHEDULED;
    if (soldOutMicros.isPresent()) return SOLD_OUT;
    if (nowMicros >= spec.endMicros()) return ENDED;
    return OPEN;
  }
}
