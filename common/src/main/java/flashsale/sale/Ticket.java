package flashsale.sale;

import java.util.Objects;

/**
 * A purchase request stamped at its region: the unit the arbiter ranks.
 *
 * @param stampMicros arrival at the region, UTC microseconds; strictly increasing per region
 */
public record Ticket(
    String eventId, String requestId, String userId, int quantity, String region, long stampMicros) {

  public Ticket {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(region, "region");
    if (quantity < 1) throw new IllegalArgumentException("quantity < 1: " + quantity);
  }

  /** True when {@code other} is the same purchase (a retry), wherever and whenever it was stamped. */
  public boolean samePurchaseAs(Ticket other) {
    return eventId.equals(other.eventId)
        && requestId.equals(other.requestId)
        && userId.equals(other.userId)
        && quantity == other.quantity;
  }
}
