package flashsale.store;

/**
 * A write under a fencing epoch below the one that last claimed the event, or equal to it but
 * claimed by another writer: the writer was deposed as leader (or holds an epoch a store failover
 * handed out twice) and must stop deciding. Nothing was written.
 */
public final class StoreFencedException extends RuntimeException {
  private final long claimedEpoch;

  public StoreFencedException(String message, long claimedEpoch) {
    super(message);
    this.claimedEpoch = claimedEpoch;
  }

  /** The epoch that holds the event: a new leader must take a higher one. 0 when unknown. */
  public long claimedEpoch() {
    return claimedEpoch;
  }
}
