package flashsale.store.modes;

import flashsale.store.PoolStore;
import flashsale.store.memory.InMemoryPoolStore;

/** The pool store contract against the single-process store. */
class InMemoryPoolStoreTest extends PoolStoreContract {
  @Override
  protected PoolStore newStore() {
    return new InMemoryPoolStore();
  }
}
