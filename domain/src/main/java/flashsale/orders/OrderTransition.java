package flashsale.orders;

import java.util.Objects;

/**
 * One change of one purchase's state, as an event's order book made it. The store checks each
 * against what it holds ({@link #from}) and writes a whole {@link OrderWrite} or none of it.
 *
 * @param rank the purchase's place in the event's global decided order
 * @param deadlineMicros the payment deadline while awaiting payment (after {@link Kind#ENROLLED_WIN}
 *     or {@link Kind#PROMOTED}); for {@link Kind#PAID}, {@link Kind#CANCELLED} and {@link Kind#EXPIRED}
 *     the deadline they were judged against (the store keeps it); 0 otherwise
 * @param atMicros the arbiter's clock when the book made the change
 */
public record OrderTransition(Kind kind, String requestId, String userId, int quantity, long rank,
    long deadlineMicros, long atMicros) {

  public enum Kind {
    /** A win enters the lifecycle awaiting payment (its WON is already in the outbox). */
    ENROLLED_WIN(null, PurchaseState.AWAITING_PAYMENT),
    /** A loser for lack of stock joins the waitlist. */
    WAITLISTED(null, PurchaseState.WAITLISTED),
    PAID(PurchaseState.AWAITING_PAYMENT, PurchaseState.PAID),
    CANCELLED(PurchaseState.AWAITING_PAYMENT, PurchaseState.CANCELLED),
    /** A waitlisted buyer leaves the waitlist. */
    LEFT_WAITLIST(PurchaseState.WAITLISTED, PurchaseState.CANCELLED),
    EXPIRED(PurchaseState.AWAITING_PAYMENT, PurchaseState.EXPIRED),
    /** A waitlisted buyer gets released units and a fresh deadline. */
    PROMOTED(PurchaseState.WAITLISTED, PurchaseState.AWAITING_PAYMENT),
    /** The event settled with the buyer still waitlisted: no unit can come back any more. */
    WAITLIST_CLOSED(PurchaseState.WAITLISTED, PurchaseState.WAITLIST_CLOSED);

    private final PurchaseState from;
    private final PurchaseState to;

    Kind(PurchaseState from, PurchaseState to) {
      this.from = from;
      this.to = to;
    }

    /** The state the purchase must be in; null when it must not be in the lifecycle yet. */
    public PurchaseState from() {
      return from;
    }

    public PurchaseState to() {
      return to;
    }

    /** Units this change gives back to the event (a holder leaving). */
    public boolean releasesUnits() {
      return this == CANCELLED || this == EXPIRED;
    }

    /** Enrolments record what the decision already said; the rest go to the outbox. */
    public boolean inOutbox() {
      return this != ENROLLED_WIN && this != WAITLISTED;
    }
  }

  public OrderTransition {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(userId, "userId");
    if (quantity < 1) throw new IllegalArgumentException("quantity < 1: " + quantity);
    if (rank < 1) throw new IllegalArgumentException("rank < 1: " + rank);
  }
}
