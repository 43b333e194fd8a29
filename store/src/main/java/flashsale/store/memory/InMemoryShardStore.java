package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import flashsale.shard.MemoryShard;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardSnapshot;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.ShardStore;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
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
  private final Map<String, Pool> pools = new HashMap<>(); // guarded by this

  /** @param clock what decisions are stamped with (Redis uses its own TIME) */
  public InMemoryShardStore(InstantSource clock) {
    this.clock = clock;
  }

  public InMemoryShardStore() {
    this(InstantSource.system());
  }

  /** One region's shard of one event, with its decisions. */
  private static final class Pool {
    final MemoryShard shard;
    final Map<String, Decision> decisions = new HashMap<>();
    final Map<String, Long> unitsByUser = new HashMap<>();
    long wins;

    Pool(String region, long initialUnits) {
      this.shard = new MemoryShard(region, initialUnits);
    }
  }

  @Override
  public CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort) {
    return CompletableFuture.completedFuture(buy(spec, ticket, decideShort));
  }

  private synchronized BuyReply buy(EventSpec spec, Ticket t, boolean decideShort) {
    Pool pool = pool(spec.eventId(), t.region(), spec.shardUnitsOf(t.region()));
    Decision stored = pool.decisions.get(t.requestId());
    if (stored != null) return new BuyReply.Decided(stored, true);
    long held = pool.unitsByUser.getOrDefault(t.userId(), 0L);
    long remaining = pool.shard.remainingUnits();
    LossReason loss;
    if (held + t.quantity() > spec.perUserLimit()) {
      loss = LossReason.LIMIT_EXCEEDED;
    } else if (remaining >= t.quantity()) {
      loss = LossReason.NONE;
    } else if (!decideShort) {
      return new BuyReply.Short(remaining);
    } else {
      loss = remaining == 0 ? LossReason.SOLD_OUT : LossReason.INSUFFICIENT_STOCK;
    }
    // What the store keeps of the ticket, as modes.lua's record does; rank is the order of arrival here.
    Ticket kept = new Ticket(spec.eventId(), t.requestId(), t.userId(), t.quantity(), t.region(), t.stampMicros());
    boolean won = loss == LossReason.NONE;
    Decision decision = new Decision(kept, won ? Outcome.WON : Outcome.LOST, loss, pool.decisions.size() + 1,
        ChronoUnit.MICROS.between(java.time.Instant.EPOCH, clock.instant()), false);
    pool.decisions.put(t.requestId(), decision);
    if (won) {
      if (!pool.shard.sell(t.quantity())) throw new IllegalStateException("shard sold " + t.quantity() + " it did not hold");
      pool.unitsByUser.put(t.userId(), held + t.quantity());
      pool.wins++;
    }
    return new BuyReply.Decided(decision, false);
  }

  @Override
  public synchronized CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region,
      String requestId) {
    Pool pool = pools.get(key(eventId, region));
    return CompletableFuture.completedFuture(pool == null ? Optional.empty() : Optional.ofNullable(pool.decisions.get(requestId)));
  }

  @Override
  public synchronized CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits) {
    Pool pool = pools.get(key(eventId, region));
    if (pool == null) return CompletableFuture.completedFuture(new PoolCounters(initialUnits, 0, 0, 0));
    ShardSnapshot s = pool.shard.snapshot();
    return CompletableFuture.completedFuture(new PoolCounters(s.remainingUnits(), s.soldUnits(), pool.decisions.size(),
        pool.wins));
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
          return pool(spec.eventId(), region, initialUnits).shard.debit(transferId, units, target);
        }
      }

      @Override
      public boolean credit(String transferId, long units) {
        synchronized (InMemoryShardStore.this) {
          return pool(spec.eventId(), region, initialUnits).shard.credit(transferId, units);
        }
      }

      @Override
      public void settle(String transferId) {
        synchronized (InMemoryShardStore.this) {
          pool(spec.eventId(), region, initialUnits).shard.settle(transferId);
        }
      }

      @Override
      public ShardSnapshot snapshot() {
        synchronized (InMemoryShardStore.this) {
          return pool(spec.eventId(), region, initialUnits).shard.snapshot();
        }
      }
    };
  }

  /** The shard, created with its initial units at its first touch (so no setup call can be forgotten). */
  private Pool pool(String eventId, String region, long initialUnits) {
    return pools.computeIfAbsent(key(eventId, region), k -> new Pool(region, initialUnits));
  }

  private static String key(String eventId, String region) {
    return eventId + "\n" + region;
  }

  @Override
  public void close() {}
}
