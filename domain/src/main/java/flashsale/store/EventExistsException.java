package flashsale.store;

/** The event id is taken by an event created under another request id. */
public final class EventExistsException extends RuntimeException {
  public EventExistsException(String message) {
    super(message);
  }
}
