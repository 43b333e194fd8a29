package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.PoolStore;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link PoolStore} of a single process, doing what {@code modes.lua} does in Redis: an
 * event's CENTRAL pool starts with its whole stock at its first touch, decides each request once
 * in order of arrival and logs it by rank, and keeps each user's units won; the shards are an
 * {@link InMemoryShardStore}'s. One lock makes every call atomic. No winners' outbox: nothing in
 * one process reads it.
 */
public final class InMemoryPoolStore implements PoolStore {
  private final InstantSource clock;
  private final InMemoryShardStore shards;
  private final Map<String, MemoryPool> centralPools = new HashMap<>(); // by event id, guarded by this

  /** @param clock what decisions are stamped with (Redis uses its own TIME) */
  public InMemoryPoolStore(InstantSource clock) {
    this.clock = clock;
    this.shards = new InMemoryShardStore(clock);
  }

  public InMemoryPoolStore() {
    this(InstantSource.system());
  }

  @Override
  public synchronized CompletableFuture<BuyReply> buyCentral(EventSpec spec, Ticket ticket) {
    MemoryPool pool = centralPools.get(spec.eventId());
    if (pool == null) {
      if (spec.poolsOpenedAtCreation()) return CompletableFuture.failedFuture(MemoryPool.notHeld(central(spec.eventId())));
      pool = new MemoryPool("central", spec.stock()); // an event whose pool starts at its first purchase
      centralPools.put(spec.eventId(), pool);
    }
    return CompletableFuture.completedFuture(pool.buy(spec, ticket, true, clock));
  }

  @Override
  public synchronized CompletableFuture<Void> openCentral(EventSpec spec) {
    return MemoryPool.open(centralPools, spec.eventId(), "central", spec.stock(), central(spec.eventId()));
  }

  @Override
  public CompletableFuture<Void> openShard(EventSpec spec, String region) {
    return shards.openShard(spec, region);
  }

  @Override
  public synchronized CompletableFuture<Optional<Decision>> findCentralDecision(String eventId, String requestId) {
    MemoryPool pool = centralPools.get(eventId);
    return CompletableFuture.completedFuture(pool == null ? Optional.empty() : pool.find(requestId));
  }

  @Override
  public synchronized CompletableFuture<PoolCounters> centralCounters(String eventId, long initialUnits) {
    MemoryPool pool = centralPools.get(eventId);
    return CompletableFuture.completedFuture(pool == null ? new PoolCounters(initialUnits, 0, 0, 0) : pool.counters());
  }

  @Override
  public synchronized CompletableFuture<PoolCounters> centralCounters(EventSpec spec) {
    if (!centralPools.containsKey(spec.eventId()) && spec.poolsOpenedAtCreation()) {
      return CompletableFuture.failedFuture(MemoryPool.notHeld(central(spec.eventId())));
    }
    return centralCounters(spec.eventId(), spec.stock());
  }

  private static String central(String eventId) {
    return "the central pool of event " + eventId;
  }

  @Override
  public synchronized CompletableFuture<List<Decision>> listCentralDecisions(String eventId, long afterRank,
      int limit) {
    if (afterRank < 0) throw new IllegalArgumentException("afterRank < 0: " + afterRank);
    MemoryPool pool = centralPools.get(eventId);
    return CompletableFuture.completedFuture(pool == null ? List.of() : pool.page(afterRank, limit));
  }

  @Override
  public CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort) {
    return shards.buyShard(spec, ticket, decideShort);
  }

  @Override
  public CompletableFuture<BuyReply> buyHeld(EventSpec spec, Ticket ticket, long nextWaitingMicros) {
    return shards.buyHeld(spec, ticket, nextWaitingMicros);
  }

  @Override
  public CompletableFuture<Void> clearWaiting(EventSpec spec, String region) {
    return shards.clearWaiting(spec, region);
  }

  @Override
  public CompletableFuture<BuyReply> decideWithoutStock(EventSpec spec, Ticket ticket) {
    return shards.decideWithoutStock(spec, ticket);
  }

  @Override
  public CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region, String requestId) {
    return shards.findShardDecision(eventId, region, requestId);
  }

  @Override
  public CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits) {
    return shards.shardCounters(eventId, region, initialUnits);
  }

  @Override
  public CompletableFuture<PoolCounters> shardCounters(EventSpec spec, String region) {
    return shards.shardCounters(spec, region);
  }

  @Override
  public ShardBackend shard(EventSpec spec, String region) {
    return shards.shard(spec, region);
  }

  @Override
  public void close() {}
}
