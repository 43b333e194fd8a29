package flashsale.region.core;

import flashsale.sale.Decision;
import flashsale.sale.Ticket;

/** The final answer to a purchase: the arbiter's ranked decision (sold-out losses included). */
public sealed interface Answer {

  Ticket ticket();

  /** The arbiter decided the ticket. */
  record Ranked(Decision decision) implements Answer {
    @Override
    public Ticket ticket() {
      return decision.ticket();
    }
  }
}
