package flashsale.store;

/**
 * A write under a fencing epoch below the one that last claimed the event: the writer was deposed
 * as leader and must stop deciding. Nothing was written.
 */
public final class StoreFencedException extends RuntimeException {
  public StoreFencedException(String message) {
    super(message);
  }
}
