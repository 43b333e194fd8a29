package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardSnapshot;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.PoolLostException;
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
    return atShard(spec, ticket, pool -> pool.buy(spec, ticket, decideShort, clock));
  }

  @Override
  public synchronized CompletableFuture<BuyReply> buyHeld(EventSpec spec, Ticket ticket, long nextWaitingMicros) {
    return atShard(spec, ticket, pool -> pool.buyHeld(spec, ticket, nextWaitingMicros, clock));
  }

  @Override
  public synchronized CompletableFuture<BuyReply> decideWithoutStock(EventSpec spec, Ticket ticket) {
    return atShard(spec, ticket, pool -> pool.decideWithoutStock(spec, ticket, clock));
  }

  @Override
  public synchronized CompletableFuture<Void> clearWaiting(EventSpec spec, String region) {
    MemoryPool pool = pools.get(key(spec.eventId(), region));
    if (pool != null) pool.clearWaiting();
    return CompletableFuture.completedFuture(null);
  }

  /** {@code buy} at the ticket's region's shard, or failed as a lost shard fails. */
  private CompletableFuture<BuyReply> atShard(EventSpec spec, Ticket ticket, java.util.function.Function<MemoryPool, BuyReply> buy) {
    try {
      return CompletableFuture.completedFuture(buy.apply(pool(spec, ticket.region())));
    } catch (PoolLostException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public synchronized CompletableFuture<Void> openShard(EventSpec spec, String region) {
    return MemoryPool.open(pools, key(spec.eventId(), region), region, spec.shardUnitsOf(region),
        "shard " + region + " of event " + spec.eventId());
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
  public synchronized CompletableFuture<PoolCounters> shardCounters(EventSpec spec, String region) {
    MemoryPool pool = pools.get(key(spec.eventId(), region));
    if (pool == null && spec.poolsOpenedAtCreation()) {
      return CompletableFuture.failedFuture(MemoryPool.notHeld("shard " + region + " of event " + spec.eventId()));
    }
    return shardCounters(spec.eventId(), region, spec.shardUnitsOf(region));
  }

  @Override
  public ShardBackend shard(EventSpec spec, String region) {
    return new ShardBackend() {
      @Override
      public String region() {
        return region;
      }

      @Override
      public DebitResult debit(String transferId, long units, String target) {
        synchronized (InMemoryShardStore.this) {
          return pool(spec, region).units.debit(transferId, units, target);
        }
      }

      @Override
      public boolean credit(String transferId, long units) {
        synchronized (InMemoryShardStore.this) {
          return pool(spec, region).units.credit(transferId, units);
        }
      }

      @Override
      public void settle(String transferId) {
        synchronized (InMemoryShardStore.this) {
          pool(spec, region).units.settle(transferId);
        }
      }

      @Override
      public void forgetCredit(String transferId) {
        synchronized (InMemoryShardStore.this) {
          pool(spec, region).units.forgetCredit(transferId);
        }
      }

      @Override
      public ShardSnapshot snapshot() {
        synchronized (InMemoryShardStore.this) {
          return pool(spec, region).units.snapshot();
        }
      }
    };
  }

  /**
   * The shard: opened at its event's creation, or else created with its initial units at its first
   * touch (an event whose pools were not opened at creation).
   *
   * @throws PoolLostException when the spec says it was opened and this store does not hold it
   */
  private MemoryPool pool(EventSpec spec, String region) {
    MemoryPool pool = pools.get(key(spec.eventId(), region));
    if (pool != null) return pool;
    if (spec.poolsOpenedAtCreation()) throw MemoryPool.notHeld("shard " + region + " of event " + spec.eventId());
    pool = new MemoryPool(region, spec.shardUnitsOf(region));
    pools.put(key(spec.eventId(), region), pool);
    return pool;
  }

  private static String key(String eventId, String region) {
    return eventId + "\n" + region;
  }

  @Override
  public void close() {}
}
