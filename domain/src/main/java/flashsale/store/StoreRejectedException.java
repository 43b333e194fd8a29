package flashsale.store;

/** The store refused a write that would break an invariant (oversell, per-user limit, rank gap, double decision); nothing was written. */
public final class StoreRejectedException extends RuntimeException {
  public StoreRejectedException(String message) {
    super(message);
  }
}
