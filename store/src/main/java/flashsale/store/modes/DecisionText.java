package flashsale.store.modes;

import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;

/**
 * A pool decision as {@code modes.lua} stores it: {@code outcome rank decideMicros user quantity
 * region arrivalMicros}, space separated (no id may contain a space). Kept as text because the
 * function itself assigns the rank and the decide time.
 */
final class DecisionText {
  private DecisionText() {}

  static Decision parse(String eventId, String requestId, String text) {
    String[] f = text.split(" ");
    if (f.length != 7) throw new IllegalStateException("event " + eventId + ": malformed stored decision '" + text + "'");
    Ticket ticket = new Ticket(eventId, requestId, f[3], Integer.parseInt(f[4]), f[5], Long.parseLong(f[6]));
    boolean won = f[0].equals("WON");
    return new Decision(ticket, won ? Outcome.WON : Outcome.LOST, won ? LossReason.NONE : lossReason(f[0]),
        Long.parseLong(f[1]), Long.parseLong(f[2]), false);
  }

  /** A loss reason a newer build's function wrote (a rolling upgrade) reads as OTHER, not as an error. */
  private static LossReason lossReason(String stored) {
    try {
      LossReason reason = LossReason.valueOf(stored);
      return reason == LossReason.NONE ? LossReason.OTHER : reason;
    } catch (IllegalArgumentException newer) {
      return LossReason.OTHER;
    }
  }
}
