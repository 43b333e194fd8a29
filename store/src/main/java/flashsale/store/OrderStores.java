package flashsale.store;

import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.memory.InMemoryOrderStore;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.redis.RedisOrderStore;
import java.util.Optional;

/** The {@link OrderStore} beside an arbiter store (sharing its connection and fencing), where it has one. */
public final class OrderStores {
  private OrderStores() {}

  public static Optional<OrderStore> of(ArbiterStore store) {
    return switch (store) {
      case RedisArbiterStore redis -> Optional.of(new RedisOrderStore(redis));
      case InMemoryArbiterStore memory -> Optional.of(new InMemoryOrderStore(memory));
      default -> Optional.empty(); // a test double or wrapper: no orders
    };
  }
}
