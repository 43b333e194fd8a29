package flashsale.store;

/**
 * A write reached the store's primary but not the number of replicas the store was told to wait
 * for, within its time: it is there, yet a failover now could lose it, so nothing that depends on
 * it may be told. Writing the same thing again is safe (every write is idempotent) and waits again.
 */
public final class StoreNotReplicatedException extends RuntimeException {
  private final int replicasWanted;
  private final long replicasAcknowledged;

  public StoreNotReplicatedException(String message, int replicasWanted, long replicasAcknowledged) {
    super(message);
    if (replicasAcknowledged >= replicasWanted) {
      throw new IllegalArgumentException(replicasAcknowledged + " of " + replicasWanted + " replicas is enough");
    }
    this.replicasWanted = replicasWanted;
    this.replicasAcknowledged = replicasAcknowledged;
  }

  public int replicasWanted() {
    return replicasWanted;
  }

  public long replicasAcknowledged() {
    return replicasAcknowledged;
  }
}
