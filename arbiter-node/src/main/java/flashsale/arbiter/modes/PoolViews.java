package flashsale.arbiter.modes;

import flashsale.arbiter.events.EventPools;
import flashsale.arbiter.shard.ShardCoordinator;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.store.PoolCounters;
import flashsale.store.PoolStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where the arbiter opens the pools of the CENTRAL and SHARDED events it creates, and reads what
 * they sold: the central pool (when this node is configured with it) and the shards its {@link
 * ShardCoordinator} reaches. A view it cannot read says why ({@link #unreadable}), so callers
 * never answer with the sequencer's empty numbers.
 */
public final class PoolViews implements EventPools, AutoCloseable {
  private final PoolStore centralStore; // null: this node cannot see the central pool
  private final ShardCoordinator shards;

  /** @param centralStore the central pool's store, closed with these views; null when this node has none */
  public PoolViews(PoolStore centralStore, ShardCoordinator shards) {
    this.centralStore = centralStore;
    this.shards = shards;
  }

  /** Why the counters of {@code spec} cannot be read here; empty when they can. */
  public Optional<String> unreadable(EventSpec spec) {
    return switch (spec.mode()) {
      case CENTRAL -> centralStore != null ? Optional.empty() : Optional.of("CENTRAL event " + spec.eventId()
          + " is sold from the central pool, and this arbiter was started without it (--central-redis or --redis)");
      case SHARDED -> {
        List<String> missing = shards.unreachableShards(spec);
        yield missing.isEmpty() ? Optional.empty() : Optional.of("SHARDED event " + spec.eventId()
            + " is sold from the regions' shards, and this arbiter has no --shard-redis for " + missing);
      }
      case GLOBAL_ORDER -> throw new IllegalArgumentException("GLOBAL_ORDER event " + spec.eventId()
          + " is counted by the sequencer");
    };
  }

  /** The event's counters from its pools; call only when not {@link #unreadable}. */
  public CompletableFuture<PoolCounters> counters(EventSpec spec) {
    requireReadable(spec);
    return spec.mode() == SaleMode.CENTRAL ? centralStore.centralCounters(spec) : shards.counters(spec);
  }

  /** The stores this arbiter opens pools in are those it reads them from. */
  @Override
  public Optional<String> unopenable(EventSpec spec) {
    return unreadable(spec);
  }

  @Override
  public CompletableFuture<Void> open(EventSpec spec) {
    requireReadable(spec);
    return spec.mode() == SaleMode.CENTRAL ? centralStore.openCentral(spec) : shards.openShards(spec);
  }

  /**
   * Why the decision log of {@code spec} cannot be listed here; empty when it can. SHARDED events
   * have no log in one place: each shard ranks only its own decisions.
   */
  public Optional<String> unlistable(EventSpec spec) {
    if (spec.mode() == SaleMode.SHARDED) {
      return Optional.of("SHARDED event " + spec.eventId() + " has no global decision log: each region's shard store"
          + " holds its own decisions (fs:{" + spec.eventId() + "}:shard:<region>:decisions); look a purchase up with"
          + " GetPurchase at the buyer's home region");
    }
    return unreadable(spec);
  }

  /** A page of the central pool's log, in the order of arrival there; call only when not {@link #unlistable}. */
  public CompletableFuture<List<Decision>> listDecisions(EventSpec spec, long afterRank, int limit) {
    if (unlistable(spec).isPresent()) throw new IllegalStateException(unlistable(spec).get());
    return centralStore.listCentralDecisions(spec.eventId(), afterRank, limit);
  }

  private void requireReadable(EventSpec spec) {
    unreadable(spec).ifPresent(why -> {
      throw new IllegalStateException(why);
    });
  }

  @Override
  public void close() {
    if (centralStore != null) centralStore.close();
  }
}
