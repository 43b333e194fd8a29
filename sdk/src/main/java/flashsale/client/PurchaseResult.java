package flashsale.client;

import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseState;
import java.time.Instant;
import java.util.Optional;

/**
 * What a purchase came to, as far as the client knows: either the arbiter's decision, or
 * "pending" when the deadline ran out before the decision and the region still holds the request.
 */
public sealed interface PurchaseResult permits PurchaseResult.Decided, PurchaseResult.Pending {

  /** The idempotency key of the purchase; retrying with it never buys twice. */
  String requestId();

  /** The same result as the {@code GetPurchase} response a server would send for it. */
  GetPurchaseResponse toProto();

  /** The arbiter decided the request: won or lost, with its global rank. */
  record Decided(PurchaseDecision decision) implements PurchaseResult {
    @Override
    public String requestId() {
      return decision.getRequestId();
    }

    /** True when the request won its units. */
    public boolean won() {
      return decision.getOutcome() == Outcome.OUTCOME_WON;
    }

    @Override
    public GetPurchaseResponse toProto() {
      return GetPurchaseResponse.newBuilder()
          .setState(PurchaseState.PURCHASE_STATE_DECIDED)
          .setDecision(decision)
          .build();
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

  /** Reads a {@code GetPurchase} response; a response with neither state is a server bug. */
  static PurchaseResult fromProto(String eventId, String requestId, GetPurchaseResponse response) {
    return switch (response.getState()) {
      case PURCHASE_STATE_DECIDED -> new Decided(response.getDecision());
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
