package flashsale.sale;

import java.util.Objects;

/**
 * The arbiter's verdict on one ticket.
 *
 * @param rank 1-based position in the event's global decided order
 * @param decideMicros arbiter clock when decided, UTC microseconds
 * @param late the ticket arrived after its stamp had already been ranked past
 */
public record Decision(
    Ticket ticket, Outcome outcome, LossReason lossReason, long rank, long decideMicros, boolean late) {

  public Decision {
    Objects.requireNonNull(ticket, "ticket");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(lossReason, "lossReason");
    if (rank < 1) throw new IllegalArgumentException("rank < 1: " + rank);
    if ((outcome == Outcome.WON) != (lossReason == LossReason.NONE)) {
      throw new IllegalArgumentException("outcome " + outcome + " with loss reason " + lossReason);
    }
  }

  public boolean won() {
    return outcome == Outcome.WON;
  }

  public String eventId() {
    return ticket.eventId();
  }

  public String requestId() {
    return ticket.requestId();
  }

  /** Units this decision takes from stock. */
  public int unitsWon() {
    return won() ? ticket.quantity() : 0;
  }
}
