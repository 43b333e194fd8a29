package flashsale.store;

import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.redis.RedisOrderStore;
import flashsale.store.testing.RedisServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The order store contract against a real Redis. */
class RedisOrderStoreTest extends OrderStoreContract {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Override
  protected ArbiterStore newEvents() {
    return new RedisArbiterStore(REDIS.uri());
  }

  @Override
  protected OrderStore ordersOf(ArbiterStore events) {
    return new RedisOrderStore((RedisArbiterStore) events);
  }
}
