package flashsale.store.modes;

import flashsale.store.PoolStore;
import flashsale.store.testing.RedisServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pool store contract on one real Redis (the functions of {@code modes.lua}). */
class RedisPoolStoreTest extends PoolStoreContract {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Override
  protected PoolStore newStore() {
    return new RedisPoolStore(REDIS.uri());
  }
}
