package flashsale.store;

import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.redis.RedisArbiterStore;

/** Picks the store a process runs on: in-memory for a lone process, Redis when state is shared. */
public final class ArbiterStores {
  private ArbiterStores() {}

  /**
   * Opens a store.
   *
   * @param redisUriOrNull {@code redis://host:port[/db]}, a cluster's seeds {@code redis-cluster://h1:p1,h2:p2},
   *     or null for a fresh in-memory store
   */
  public static ArbiterStore open(String redisUriOrNull) {
    return open(redisUriOrNull, ReplicaAcks.NONE);
  }

  /** As {@link #open(String)}, a Redis store waiting for {@code acks} after each told write (see {@link ReplicaAcks}). */
  public static ArbiterStore open(String redisUriOrNull, ReplicaAcks acks) {
    return open(redisUriOrNull, acks, java.time.Duration.ZERO);
  }

  /**
   * As {@link #open(String, ReplicaAcks)}; a Redis store lets a finished event's keys expire
   * {@code finishedEventRetention} after it finished (zero: kept for good). The in-memory store
   * keeps everything until its process exits.
   */
  public static ArbiterStore open(String redisUriOrNull, ReplicaAcks acks, java.time.Duration finishedEventRetention) {
    if (redisUriOrNull == null) {
      if (acks.waits()) throw new IllegalArgumentException("replica acknowledgements need a Redis store (--redis)");
      return new InMemoryArbiterStore();
    }
    return new RedisArbiterStore(redisUriOrNull, acks, finishedEventRetention);
  }
}
