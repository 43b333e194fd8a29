package flashsale.store;

import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.memory.InMemoryOrderStore;

/** The order store contract against the single-process store. */
class InMemoryOrderStoreTest extends OrderStoreContract {
  @Override
  protected ArbiterStore newEvents() {
    return new InMemoryArbiterStore();
  }

  @Override
  protected OrderStore ordersOf(ArbiterStore events) {
    return new InMemoryOrderStore((InMemoryArbiterStore) events);
  }
}
