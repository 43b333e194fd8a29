package flashsale.orders;

import java.util.Objects;

/**
 * A purchase as the order store holds it.
 *
 * @param deadlineMicros the payment deadline while (or when last) awaiting payment; 0 when never
 */
public record OrderRecord(String requestId, String userId, int quantity, long rank, PurchaseState state,
    long deadlineMicros) {
  public OrderRecord {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(state, "state");
  }
}
