package flashsale.region.core;

import flashsale.sale.Decision;
import flashsale.sale.Ticket;

/** The final answer to a purchase: the arbiter's ranked decision, or a local sold-out loss. */
public sealed interface Answer {

  Ticket ticket();

  /** The arbiter decided the ticket. */
  record Ranked(Decision decision) implements Answer {
    @Override
    public Ticket ticket() {
      return decision.ticket();
    }
  }

  /**
   * Lost without a round trip: the arbiter announced the event sold out at a stamp before this
   * ticket's. Not ranked by the arbiter, so it has no rank (0 on the wire).
   */
  record SoldOutLocally(Ticket ticket, long decideMicros) implements Answer {}
}
