package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardSnapshot;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.ShardStore;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link ShardStore} of a single process, doing what {@code modes.lua} does in Redis: each
 * shard starts with its spec's units at its first touch, decides a request once and remembers it,
 * keeps each user's units won, and records transfers by id. One lock makes every call atomic.
 */
public final class InMemoryShardStore implements ShardStore {
  private final InstantSource clock;
  private final Map<String, MemoryPool> pools = new HashMap<>(); // guarded by this

  /** @param clock what decisions are stamped with (Redis uses its own TIME) */
  public InMemoryShardStore(InstantSource clock) {
    this.clock = clock;
  }

  public InMemoryShardStore() {
    this(InstantSource.system());
  }

  @Override
  public synchronized CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort) {
    MemoryPool pool = pool(spec.eventId(), ticket.region(), spec.shardUnitsOf(ticket.region()));
    return CompletableFuture.completedFuture(pool.buy(spec, ticket, decideShort, clock));
  }

  @Override
  public synchronized CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region,
      String requestId) {
    MemoryPool pool = pools.get(key(eventId, region));
    return CompletableFuture.completedFuture(pool == null ? Optional.empty() : pool.find(requestId));
  }

  @Override
  public synchronized CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits) {
    MemoryPool pool = pools.get(key(eventId, region));
    return CompletableFuture.completedFuture(pool == null ? new PoolCounters(initialUnits, 0, 0, 0) : pool.counters());
  }

  @Override
  public ShardBackend shard(EventSpec spec, String region) {
    long initialUnits = spec.shardUnitsOf(region);
    return new ShardBackend() {
      @Override
      public String region() {
        return region;
      }

      @Override
      public DebitResult debit(String transferId, long units, String target) {
        synchronized (InMemoryShardStore.this) {
          return pool(spec.eventId(), region, initialUnits).units.debit(transferId, units, target);
        }
      }

      @Override
      public boolean credit(String transferId, long units) {
        synchronized (InMemoryShardStore.this) {
          return pool(spec.eventId(), region, initialUnits).units.credit(transferId, units);
        }
      }

      @Override
      public void settle(String transferId) {
        synchronized (InMemoryShardStore.this) {
          pool(spec.eventId(), region, initialUnits).units.settle(transferId);
        }
      }

      @Override
      public void forgetCredit(String transferId) {
        synchronized (InMemoryShardStore.this) {
          pool(spec.eventId(), region, initialUnits).units.forgetCredit(transferId);
        }
      }

      @Override
      public ShardSnapshot snapshot() {
        synchronized (InMemoryShardStore.this) {
          return pool(spec.eventId(), region, initialUnits).units.snapshot();
        }
      }
    };
  }

  /** The shard, created with its initial units at its first touch (so no setup call can be forgotten). */
  private MemoryPool pool(String eventId, String region, long initialUnits) {
    return pools.computeIfAbsent(key(eventId, region), k -> new MemoryPool(region, initialUnits));
  }

  private static String key(String eventId, String region) {
    return eventId + "\n" + region;
  }

  @Override
  public void close() {}
}
