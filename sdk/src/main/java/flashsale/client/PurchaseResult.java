package flashsale.client;

import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.Order;
import flashsale.v1.OrderState;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseState;
import flashsale.v1.WatchPurchaseResponse;
import java.time.Instant;
import java.util.Optional;

/**
 * What a purchase came to, as far as the client knows: either the arbiter's decision (with its
 * order after the win, where there is one), or "pending" when the deadline ran out before the
 * decision and the region still holds the request.
 */
public sealed interface PurchaseResult permits PurchaseResult.Decided, PurchaseResult.Pending {

  /** The idempotency key of the purchase; retrying with it never buys twice. */
  String requestId();

  /** The same result as the {@code GetPurchase} response a server would send for it. */
  GetPurchaseResponse toProto();

  /**
   * The arbiter decided the request: won or lost, with its global rank; in an event with a payment
   * window also where it stands after the decision (awaiting payment and its deadline, paid,
   * cancelled, expired, waitlisted, not waitlisted), when the region knew it.
   */
  record Decided(PurchaseDecision decision, Optional<Order> order) implements PurchaseResult {
    public Decided {
      java.util.Objects.requireNonNull(decision, "decision");
      java.util.Objects.requireNonNull(order, "order");
    }

    /** A decision without its order (a Purchase answer, or an event without a payment window). */
    public Decided(PurchaseDecision decision) {
      this(decision, Optional.empty());
    }

    @Override
    public String requestId() {
      return decision.getRequestId();
    }

    /**
     * True when the request won its units. Never for an auction bid: its decision says only whether
     * it was accepted as standing; {@link BidStanding#of} says whether it won, once the auction closed.
     */
    public boolean won() {
      return decision.getOutcome() == Outcome.OUTCOME_WON && !decision.hasBid();
    }

    /** True for an auction bid (see {@link #won()}). */
    public boolean isBid() {
      return decision.hasBid();
    }

    /** The order's state after the win, if it has one. */
    public Optional<OrderState> orderState() {
      return order.map(Order::getState);
    }

    @Override
    public GetPurchaseResponse toProto() {
      GetPurchaseResponse.Builder b = GetPurchaseResponse.newBuilder()
          .setState(PurchaseState.PURCHASE_STATE_DECIDED)
          .setDecision(decision);
      order.ifPresent(b::setOrder);
      return b.build();
    }
  }

  /** The region holds the request but the arbiter has not decided it yet; ask again later. */
  record Pending(String eventId, String requestId, Optional<Instant> arrivalTime)
      implements PurchaseResult {
    @Override
    public GetPurchaseResponse toProto() {
      GetPurchaseResponse.Builder b =
          GetPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_PENDING);
      arrivalTime.ifPresent(t -> b.setArrivalTime(ProtoTimes.timestamp(t)));
      return b.build();
    }
  }

  /** Reads one message of a {@code WatchPurchase} stream (the same fields as a GetPurchase response). */
  static PurchaseResult fromProto(String eventId, String requestId, WatchPurchaseResponse response) {
    GetPurchaseResponse.Builder same = GetPurchaseResponse.newBuilder().setState(response.getState());
    if (response.hasDecision()) same.setDecision(response.getDecision());
    if (response.hasArrivalTime()) same.setArrivalTime(response.getArrivalTime());
    if (response.hasOrder()) same.setOrder(response.getOrder());
    return fromProto(eventId, requestId, same.build());
  }

  /** Reads a {@code GetPurchase} response; a response with neither state is a server bug. */
  static PurchaseResult fromProto(String eventId, String requestId, GetPurchaseResponse response) {
    return switch (response.getState()) {
      case PURCHASE_STATE_DECIDED -> new Decided(response.getDecision(),
          response.hasOrder() ? Optional.of(response.getOrder()) : Optional.empty());
      case PURCHASE_STATE_PENDING ->
          new Pending(
              eventId,
              requestId,
              response.hasArrivalTime()
                  ? Optional.of(ProtoTimes.instant(response.getArrivalTime()))
                  : Optional.empty());
      default ->
          throw new IllegalStateException(
              "server answered GetPurchase for request " + requestId + " with state " + response.getState());
    };
  }
}
