package flashsale.arbiter.shard;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.EventAccount;
import flashsale.shard.Rebalancer;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardDemand;
import flashsale.shard.ShardReports;
import flashsale.shard.ShardSnapshot;
import flashsale.shard.TransferPlan;
import flashsale.shard.TransferSteps;
import flashsale.store.modes.PoolCounters;
import flashsale.store.modes.RedisPoolStore;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebalances SHARDED events on one thread: each tick (and at once on a borrow) it reads every
 * shard of each active event, completes half-done transfers, asks the {@link Rebalancer} what to
 * move and moves it with {@link TransferSteps}. The shard stores are the only durable state, so a
 * coordinator that dies mid-transfer is replaced by a fresh one that recovers from them.
 */
public final class ShardCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShardCoordinator.class);

  private final ShardOptions options;
  private final Function<String, Optional<EventSpec>> events;
  private final InstantSource clock;
  private final Rebalancer rebalancer;
  private final Map<String, RedisPoolStore> stores = new HashMap<>();
  private final Map<String, ShardReports> reports = new HashMap<>();
  private final Map<String, EventAccount> accounts = new ConcurrentHashMap<>();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("shard-coordinator").unstarted(r));

  public ShardCoordinator(ShardOptions options, Function<String, Optional<EventSpec>> events, InstantSource clock) {
    this.options = options;
    this.events = events;
    this.clock = clock;
    this.rebalancer = new Rebalancer(TimeUnit.MILLISECONDS.toMicros(options.horizonMs()));
    options.shardRedisUris().forEach((region, uri) -> stores.put(region, new RedisPoolStore(uri)));
  }

  public ShardCoordinator start() {
    thread.scheduleWithFixedDelay(this::tick, options.tickMs(), options.tickMs(), TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Records a region's report (rebalancing at once when it waits for stock) and completes with the
   * event's account as last read; empty when the event is unknown or not SHARDED.
   */
  public CompletableFuture<Optional<EventAccount>> report(String eventId, ShardDemand demand) {
    return CompletableFuture.supplyAsync(() -> {
      Optional<EventSpec> spec = events.apply(eventId).filter(s -> s.mode() == SaleMode.SHARDED);
      if (spec.isEmpty()) return Optional.empty();
      reports.computeIfAbsent(eventId, id -> new ShardReports(TimeUnit.MILLISECONDS.toMicros(options.staleReportMs())))
          .report(demand, nowMicros());
      if (demand.waitingUnits() > 0 || !accounts.containsKey(eventId)) rebalance(spec.get());
      return Optional.ofNullable(accounts.get(eventId));
    }, thread);
  }

  /** The regions of {@code spec} whose shard store this coordinator cannot reach (no {@code --shard-redis}). */
  public List<String> unreachableShards(EventSpec spec) {
    return spec.regions().stream().filter(r -> !stores.containsKey(r)).toList();
  }

  /**
   * What the event sold, read afresh from every shard: remaining units include those in flight
   * between shards (they are still for sale), the other counters are summed over the shards.
   * Fails when a shard is unreachable ({@link #unreachableShards} or a store that does not answer).
   */
  public CompletableFuture<PoolCounters> counters(EventSpec spec) {
    return CompletableFuture.supplyAsync(() -> {
      Map<String, ShardBackend> shards = backends(spec);
      if (shards.size() < spec.regions().size()) {
        throw new IllegalStateException("no shard store for regions " + unreachableShards(spec));
      }
      EventAccount account = EventAccount.of(shards.values().stream().map(ShardBackend::snapshot).toList());
      PoolCounters sum = new PoolCounters(0, 0, 0, 0);
      for (String region : spec.regions()) {
        sum = sum.plus(stores.get(region).shardOf(region).counters(spec.eventId(), spec.shardUnitsOf(region)).join());
      }
      return new PoolCounters(account.unsoldUnits(), account.soldUnits(), sum.decisions(), sum.wins());
    }, thread);
  }

  private void tick() {
    long now = nowMicros();
    reports.entrySet().removeIf(e -> !e.getValue().active(now));
    for (String eventId : List.copyOf(reports.keySet())) events.apply(eventId).ifPresent(this::rebalance);
  }

  private void rebalance(EventSpec spec) {
    try {
      Map<String, ShardBackend> shards = backends(spec);
      if (shards.size() < spec.regions().size()) return; // cannot account for a shard it cannot reach
      int recovered = TransferSteps.recover(shards);
      if (recovered > 0) log.info("event={} completed {} half-done transfers", spec.eventId(), recovered);
      Map<String, Long> remaining = new LinkedHashMap<>();
      shards.forEach((region, shard) -> remaining.put(region, shard.snapshot().remainingUnits()));
      ShardReports latest = reports.get(spec.eventId());
      List<ShardDemand> demands = latest == null
          ? remaining.entrySet().stream().map(e -> new ShardDemand(e.getKey(), e.getValue(), 0, 0)).toList()
          : latest.demands(remaining, nowMicros());
      for (TransferPlan plan : rebalancer.plan(demands, Set.of())) {
        String transferId = spec.eventId() + "/" + UUID.randomUUID();
        boolean moved = TransferSteps.transfer(shards, plan, transferId);
        log.info("event={} transfer={} {} -> {} units={} moved={}", spec.eventId(), transferId, plan.source(),
            plan.target(), plan.units(), moved);
      }
      List<ShardSnapshot> snapshots = shards.values().stream().map(ShardBackend::snapshot).toList();
      accounts.put(spec.eventId(), EventAccount.of(snapshots).requireConserved(spec.stock()));
    } catch (RuntimeException e) {
      // A store that does not answer leaves at most a pending transfer, which the next tick completes.
      log.warn("event={} rebalance failed: {}", spec.eventId(), e.toString());
    }
  }

  private Map<String, ShardBackend> backends(EventSpec spec) {
    Map<String, ShardBackend> shards = new LinkedHashMap<>();
    for (String region : spec.regions()) {
      RedisPoolStore store = stores.get(region);
      if (store != null) shards.put(region, options.backendWrapper().apply(store.shard(spec, region)));
    }
    return shards;
  }

  private long nowMicros() {
    return TimeUnit.MILLISECONDS.toMicros(clock.millis());
  }

  /** Stops at once, even between the steps of a transfer: that is what recovery is for. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stores.values().forEach(RedisPoolStore::close);
  }
}
