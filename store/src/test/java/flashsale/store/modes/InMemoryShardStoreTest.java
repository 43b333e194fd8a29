package flashsale.store.modes;

import flashsale.store.ShardStore;
import flashsale.store.memory.InMemoryShardStore;

/** The shard store contract against the single-process store. */
class InMemoryShardStoreTest extends ShardStoreContract {
  @Override
  protected ShardStore newStore() {
    return new InMemoryShardStore();
  }
}
