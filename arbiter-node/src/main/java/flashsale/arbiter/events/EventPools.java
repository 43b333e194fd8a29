package flashsale.arbiter.events;

import flashsale.sale.EventSpec;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where the arbiter opens the pools of a CENTRAL or SHARDED event it creates: the central pool, or
 * every region's shard, each in its store, once the event is stored and before any region hears
 * of it (see {@link EventCatalog#register}). No node then starts a pool
 * lazily, so one found missing later is known lost ({@link EventSpec#poolsOpenedAtCreation}).
 */
public interface EventPools {

  /** An arbiter with no pool store: it cannot create CENTRAL or SHARDED events. */
  EventPools NONE = new EventPools() {
    @Override
    public Optional<String> unopenable(EventSpec spec) {
      return Optional.of("event " + spec.eventId() + " is " + spec.mode() + ", and this arbiter has no pool stores");
    }

    @Override
    public CompletableFuture<Void> open(EventSpec spec) {
      return CompletableFuture.failedFuture(new IllegalStateException(unopenable(spec).orElseThrow()));
    }
  };

  /** Why this arbiter cannot open the pools of {@code spec} (a store it was not given); empty when it can. */
  Optional<String> unopenable(EventSpec spec);

  /**
   * Opens every pool of {@code spec}; a pool open with the same units stays as it is. Completes
   * exceptionally with {@code PoolExistsException} for a pool open with other units, {@code
   * PoolLostException} for one marked lost, or the store's failure.
   */
  CompletableFuture<Void> open(EventSpec spec);
}
