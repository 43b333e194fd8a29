package flashsale.store;

/** No event with that id. */
public final class EventNotFoundException extends RuntimeException {
  public EventNotFoundException(String message) {
    super(message);
  }
}
