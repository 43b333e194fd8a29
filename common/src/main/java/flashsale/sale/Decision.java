package flashsale.sale;

import java.util.Objects;

/**
 * The arbiter's verdict on one ticket.
 *
 * @param rank 1-based position in the event's global decided order
 * @param decideMicros arbiter clock when decided, UTC microseconds
 * @param late the ticket arrived after its stamp had already been ranked past
 * @param nearTie the near-tie lottery settled this ticket's place against another region's ticket
 */
public record Decision(
    Ticket ticket, Outcome outcome, LossReason lossReason, long rank, long decideMicros, boolean late,
    boolean nearTie) {

  /** A decision whose place stamps alone settled. */
  public Decision(Ticket ticket, Outcome outcome, LossReason lossReason, long rank, long decideMicros, boolean late) {
    this(ticket, outcome, lossReason, rank, decideMicros, late, false);
  }

  public Decision {
    Objects.requireNonNull(ticket, "ticket");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(lossReason, "lossReason");
    if (rank < 1) throw new IllegalArgumentException("rank < 1: " + rank);
    if ((outcome == Outcome.WON) != (lossReason == LossReason.NONE)) {
      throw new IllegalArgumentException("outcome " + outcome + " with loss reason " + lossReason);
    }
  }

  /** This decision, marked as settled (or not) by the near-tie lottery. */
  public Decision withNearTie(boolean settledByLottery) {
    return settledByLottery == nearTie ? this
        : new Decision(ticket, outcome, lossReason, rank, decideMicros, late, settledByLottery);
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
