package flashsale.store.modes;

import flashsale.store.ShardStore;
import flashsale.store.testing.RedisServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shard store contract against a real Redis (the functions of {@code modes.lua}). */
class RedisShardStoreTest extends ShardStoreContract {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Override
  protected ShardStore newStore() {
    return new RedisPoolStore(REDIS.uri());
  }
}
