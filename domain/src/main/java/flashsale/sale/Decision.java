package flashsale.sale;

import java.util.Objects;

/**
 * The arbiter's verdict on one ticket.
 *
 * @param rank 1-based position in the event's global decided order
 * @param decideMicros arbiter clock when decided, UTC microseconds
 * @param late the ticket arrived after its stamp had already been ranked past
 * @param nearTie the near-tie lottery settled this ticket's place against another region's ticket
 * @param slot the reservation slot a winner got (one of its ticket's slots); empty otherwise
 * @param bid an auction bid's answer (WON when accepted as standing; a standing bid takes no unit
 *     until the close); empty for a purchase
 */
public record Decision(
    Ticket ticket, Outcome outcome, LossReason lossReason, long rank, long decideMicros, boolean late,
    boolean nearTie, String slot, java.util.Optional<BidVerdict> bid) {

  /** A purchase's decision (no bid). */
  public Decision(Ticket ticket, Outcome outcome, LossReason lossReason, long rank, long decideMicros, boolean late,
      boolean nearTie, String slot) {
    this(ticket, outcome, lossReason, rank, decideMicros, late, nearTie, slot, java.util.Optional.empty());
  }

  /** A bid's decision: accepted bids stand (WON), the others lose with {@link LossReason#BID_NOT_ACCEPTED}. */
  public static Decision ofBid(Ticket ticket, BidVerdict verdict, long rank, long decideMicros, boolean late) {
    boolean accepted = verdict.answer() == BidAnswer.ACCEPTED;
    return new Decision(ticket, accepted ? Outcome.WON : Outcome.LOST,
        accepted ? LossReason.NONE : LossReason.BID_NOT_ACCEPTED, rank, decideMicros, late, false, "",
        java.util.Optional.of(verdict));
  }

  /** A decision that assigns no slot (a flash sale, or a loss). */
  public Decision(Ticket ticket, Outcome outcome, LossReason lossReason, long rank, long decideMicros, boolean late,
      boolean nearTie) {
    this(ticket, outcome, lossReason, rank, decideMicros, late, nearTie, "");
  }

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
    Objects.requireNonNull(slot, "slot");
    // A winner of a reservation holds one of the slots it asked for; nobody else holds a slot.
    boolean slotted = outcome == Outcome.WON && !ticket.slots().isEmpty();
    if (slotted ? !ticket.slots().contains(slot) : !slot.isEmpty()) {
      throw new IllegalArgumentException("slot '" + slot + "' for " + outcome + " of " + ticket.requestId()
          + " asking for " + ticket.slots());
    }
    Objects.requireNonNull(bid, "bid");
    // A bid is answered (accepted iff WON), unless it was back-dated and never ranked.
    boolean fits = bid.isPresent()
        ? ticket.isBid() && (bid.get().answer() == BidAnswer.ACCEPTED) == (outcome == Outcome.WON)
            && (outcome == Outcome.WON || lossReason == LossReason.BID_NOT_ACCEPTED)
        : !ticket.isBid() ? lossReason != LossReason.BID_NOT_ACCEPTED : lossReason == LossReason.STAMP_OUT_OF_BOUNDS;
    if (!fits) {
      throw new IllegalArgumentException("bid answer " + bid + " for " + outcome + "/" + lossReason + " of "
          + ticket.requestId() + " bidding " + ticket.bidMinor());
    }
  }

  /** This decision, marked as settled (or not) by the near-tie lottery. */
  public Decision withNearTie(boolean settledByLottery) {
    return settledByLottery == nearTie ? this
        : new Decision(ticket, outcome, lossReason, rank, decideMicros, late, settledByLottery, slot, bid);
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

  /** Units this decision takes from stock: none for a bid, whose units are taken at the close. */
  public int unitsWon() {
    return won() && !ticket.isBid() ? ticket.quantity() : 0;
  }
}
