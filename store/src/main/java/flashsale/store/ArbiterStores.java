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
    return redisUriOrNull == null ? new InMemoryArbiterStore() : new RedisArbiterStore(redisUriOrNull);
  }
}
