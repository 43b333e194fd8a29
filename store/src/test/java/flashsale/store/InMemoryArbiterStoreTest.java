package flashsale.store;

import flashsale.store.memory.InMemoryArbiterStore;

/** The store contract against the single-process store. */
class InMemoryArbiterStoreTest extends ArbiterStoreContract {
  @Override
  protected ArbiterStore newStore() {
    return new InMemoryArbiterStore();
  }
}
