package flashsale.store;

/**
 * The store refused a write that would break an invariant (oversell, per-user limit, rank gap, double
 * decision); nothing was written. A refusal over ranks is a {@link StoreDivergedException}.
 */
public class StoreRejectedException extends RuntimeException {
  public StoreRejectedException(String message) {
    super(message);
  }
}
