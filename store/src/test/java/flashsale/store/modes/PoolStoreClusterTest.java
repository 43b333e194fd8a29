package flashsale.store.modes;

import flashsale.store.PoolStore;
import flashsale.store.testing.RedisClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pool store contract (CENTRAL and SHARDED buys, reads, shard transfers) on a real 3-master Redis Cluster. */
class PoolStoreClusterTest extends PoolStoreContract {
  @RegisterExtension static final RedisClusterExtension CLUSTER = new RedisClusterExtension();

  @Override
  protected PoolStore newStore() {
    return new RedisPoolStore(CLUSTER.cluster().uriOfOneSeed());
  }
}
