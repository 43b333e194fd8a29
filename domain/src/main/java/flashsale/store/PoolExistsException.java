package flashsale.store;

/**
 * A pool that is open with other units than the event being created gives it: an earlier create
 * of the same event id, with other content, opened it and never stored its event. Opening it again
 * with these units could sell more than the event that ends up stored holds.
 */
public final class PoolExistsException extends RuntimeException {
  public PoolExistsException(String message) {
    super(message);
  }
}
