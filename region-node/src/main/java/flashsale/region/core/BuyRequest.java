package flashsale.region.core;

/** A Purchase call as the core sees it, before any check. Fields may be empty or out of range. */
public record BuyRequest(String eventId, String userId, String requestId, int quantity) {

  public BuyRequest {
    eventId = eventId == null ? "" : eventId;
    userId = userId == null ? "" : userId;
    requestId = requestId == null ? "" : requestId;
  }
}
