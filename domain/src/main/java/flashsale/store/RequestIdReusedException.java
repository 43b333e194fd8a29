package flashsale.store;

/**
 * A create request id already created an event with other content (another event id, or the same
 * event id with other fields): AIP-155 asks for an error, not the first event.
 */
public final class RequestIdReusedException extends RuntimeException {
  private final String eventId;

  public RequestIdReusedException(String eventId, String message) {
    super(message);
    this.eventId = eventId;
  }

  /** The event the request id created first. */
  public String eventId() {
    return eventId;
  }
}
