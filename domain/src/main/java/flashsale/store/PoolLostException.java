package flashsale.store;

/**
 * A CENTRAL or SHARDED pool that this node saw before is gone from its store (a restart without
 * persistence, {@code FLUSHDB}, eviction), or another node already found it so. Starting it again
 * from the event's spec would sell its units a second time, so nothing sells from it until an
 * operator restores it; retrying does not help.
 */
public final class PoolLostException extends RuntimeException {
  public PoolLostException(String message) {
    super(message);
  }

  /** The {@link PoolLostException} in {@code failure}'s causes, if any. */
  public static java.util.Optional<PoolLostException> in(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PoolLostException lost) return java.util.Optional.of(lost);
    }
    return java.util.Optional.empty();
  }
}
