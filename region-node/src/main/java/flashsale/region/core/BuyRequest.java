package flashsale.region.core;

import java.util.List;

/**
 * A Purchase call as the core sees it, before any check. Fields may be empty or out of range.
 *
 * @param slots a reservation's acceptable slots, best first (unchecked: may repeat or be unknown)
 */
public record BuyRequest(String eventId, String userId, String requestId, int quantity, List<String> slots) {

  public BuyRequest {
    eventId = eventId == null ? "" : eventId;
    userId = userId == null ? "" : userId;
    requestId = requestId == null ? "" : requestId;
    slots = slots == null ? List.of() : List.copyOf(slots);
  }

  /** A flash-sale purchase (no slots). */
  public BuyRequest(String eventId, String userId, String requestId, int quantity) {
    this(eventId, userId, requestId, quantity, List.of());
  }
}
