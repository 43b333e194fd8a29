package flashsale.store;

/**
 * The event id is taken: by an event created under another request id, or by a finished event
 * whose records expired (an id is never created again).
 */
public final class EventExistsException extends RuntimeException {
  private final boolean expired;

  public EventExistsException(String message) {
    this(message, false);
  }

  public EventExistsException(String message, boolean expired) {
    super(message);
    this.expired = expired;
  }

  /** True when the id is held by a finished event whose records expired. */
  public boolean expired() {
    return expired;
  }
}
