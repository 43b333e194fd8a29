package flashsale.store;

import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.redis.RedisOrderStore;
import flashsale.store.testing.RedisClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The order store contract on a real 3-master Redis Cluster: every key of a call shares the event's hash tag. */
class RedisClusterOrderStoreTest extends OrderStoreContract {
  @RegisterExtension static final RedisClusterExtension CLUSTER = new RedisClusterExtension();

  @Override
  protected ArbiterStore newEvents() {
    return new RedisArbiterStore(CLUSTER.uri());
  }

  @Override
  protected OrderStore ordersOf(ArbiterStore events) {
    return new RedisOrderStore((RedisArbiterStore) events);
  }
}
