package flashsale.store.modes;

import flashsale.store.testing.RedisServerExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pool store's contract on one real Redis. */
class PoolReaderTest extends PoolStoreContract {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Override
  protected String uri() {
    return REDIS.uri();
  }
}
