package flashsale.store;

/**
 * A pool under the event's id that is open with other units than the event gives it: not one the
 * arbiter opened (another deployment sharing the store, or one written by hand). It is left as it
 * is: opening it with these units could sell units its own sales already took.
 */
public final class PoolExistsException extends RuntimeException {
  public PoolExistsException(String message) {
    super(message);
  }
}
