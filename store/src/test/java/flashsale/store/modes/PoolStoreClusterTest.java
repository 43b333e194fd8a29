package flashsale.store.modes;

import flashsale.store.testing.RedisClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pool store's contract (CENTRAL and SHARDED buys, readers, shard transfers) on a real 3-master Redis Cluster. */
class PoolStoreClusterTest extends PoolStoreContract {
  @RegisterExtension static final RedisClusterExtension CLUSTER = new RedisClusterExtension();

  @Override
  protected String uri() {
    return CLUSTER.cluster().uriOfOneSeed();
  }
}
