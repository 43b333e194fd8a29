package flashsale.arbiter.shard;

import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.EventAccount;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardBalancer;
import flashsale.shard.ShardBalancer.Effect;
import flashsale.shard.ShardDemand;
import flashsale.store.PoolCounters;
import flashsale.store.ShardStore;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebalances SHARDED events on one thread: carries out what the {@link ShardBalancer} asks (shard
 * reads and transfer steps against the regions' shard stores, blocking, one at a time; answers to
 * reports) each tick and at once on a report. The shard stores are the only durable state, so a
 * coordinator that dies mid-transfer is replaced by a fresh one that recovers from them.
 */
public final class ShardCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShardCoordinator.class);

  /** A report's answer: the event's account as last read, empty when none could be read. */
  private interface Answer extends java.util.function.Consumer<Optional<EventAccount>> {}

  private final ShardOptions options;
  private final Function<String, Optional<EventSpec>> events;
  private final InstantSource clock;
  private final ShardBalancer<Answer> balancer;
  private final Map<String, ShardStore> stores;
  static final long FIRST_BACKOFF_MS = 500;
  static final long MAX_BACKOFF_MS = 8_000;

  /** A region's store that failed: left alone until {@code untilNanos}. */
  private record Backoff(long failedNanos, long untilNanos, long waitMs) {}

  /**
   * Specs already read, by event id: a spec never changes, and each store read may wait for a
   * replica round (see {@code --redis-replica-acks}) on this one thread. Coordinator's thread only.
   */
  private final Map<String, EventSpec> specs = new java.util.LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, EventSpec> eldest) {
      return size() > SPEC_CACHE_SIZE;
    }
  };
  static final int SPEC_CACHE_SIZE = 10_000;

  /** The last {@link #call} failed because its shard was lost (not a store that did not answer). Coordinator's thread only. */
  private boolean lastCallFoundLost;
  private final FailedRoundLog failedRounds = new FailedRoundLog(log);
  /** Regions whose store failed last time; touched on the coordinator's thread only. */
  private final Map<String, Backoff> backoffs = new HashMap<>();
  /** Shards ({@code event/region}) found lost, logged once each. */
  private final java.util.Set<String> lostShardsLogged = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Reports not yet answered: failed at {@link #close}, not left to their callers' deadlines. */
  private final java.util.Set<CompletableFuture<?>> unanswered = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("shard-coordinator").unstarted(r));

  /**
   * @param stores each region's shard store (a region without one is never rebalanced), closed
   *     with this coordinator
   */
  public ShardCoordinator(ShardOptions options, Map<String, ? extends ShardStore> stores,
      Function<String, Optional<EventSpec>> events, InstantSource clock) {
    this.options = options;
    this.stores = Map.copyOf(stores);
    this.events = events;
    this.clock = clock;
    // A fresh id per process: no transfer id of an earlier coordinator is ever reused.
    this.balancer = new ShardBalancer<>(TimeUnit.MILLISECONDS.toMicros(options.horizonMs()),
        TimeUnit.MILLISECONDS.toMicros(options.staleReportMs()), UUID.randomUUID().toString());
  }

  public ShardCoordinator start() {
    thread.scheduleWithFixedDelay(this::tick, options.tickMs(), options.tickMs(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Why a report cannot be answered with an account: the adapter's status says it. */
  public static final class Refused extends RuntimeException {
    private final ErrorReason reason;

    Refused(ErrorReason reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }

    public ErrorReason reason() {
      return reason;
    }
  }

  /**
   * Records a region's report (rebalancing at once when it waits for stock) and completes with the
   * event's account as last read; empty when no read of all its shards has succeeded yet. Fails
   * with {@link Refused} when the event is unknown, not SHARDED, not sold in the region, a shard
   * has no store here, or this coordinator is stopping.
   */
  public CompletableFuture<Optional<EventAccount>> report(String eventId, ShardDemand demand) {
    return report(eventId, demand, false);
  }

  /**
   * As above; {@code shardInUse}: the region's purchases were answered from its shard, which this
   * coordinator's store of the region then remembers, so a shard found gone later (its store lost
   * it, say after a takeover of the rebalancing) is marked lost, not read as untouched.
   */
  public CompletableFuture<Optional<EventAccount>> report(String eventId, ShardDemand demand, boolean shardInUse) {
    return report(eventId, "", demand, shardInUse);
  }

  /** As above, from node {@code nodeId} of the region ("" for one that names none): its nodes' reports add up. */
  public CompletableFuture<Optional<EventAccount>> report(String eventId, String nodeId, ShardDemand demand,
      boolean shardInUse) {
    CompletableFuture<Optional<EventAccount>> answer = new CompletableFuture<>();
    unanswered.add(answer);
    answer.whenComplete((account, error) -> unanswered.remove(answer));
    try {
      thread.execute(() -> {
        try {
          EventSpec spec = reportable(eventId, demand.region());
          if (shardInUse) stores.get(demand.region()).sawShard(eventId, demand.region());
          carryOut(balancer.report(spec, nodeId, demand, answer::complete, nowMicros()));
        } catch (Refused e) {
          answer.completeExceptionally(e);
        } catch (RuntimeException e) { // the event look-up's store read, or a bug: answered now, not at the deadline
          log.warn("event={} shard report failed: {}", eventId, e.toString());
          answer.completeExceptionally(new Refused(ErrorReason.STORE_UNAVAILABLE, "the shard report of " + eventId
              + " failed: " + e.getMessage()));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      answer.completeExceptionally(stopping());
    }
    return answer;
  }

  private EventSpec reportable(String eventId, String region) {
    EventSpec spec = specs.get(eventId);
    if (spec == null) {
      spec = events.apply(eventId).orElseThrow(() -> new Refused(ErrorReason.EVENT_NOT_FOUND, "no event " + eventId));
      specs.put(eventId, spec);
    }
    if (spec.mode() != SaleMode.SHARDED) {
      throw new Refused(ErrorReason.MODE_NOT_SUPPORTED, "event " + eventId + " is " + spec.mode() + ", not SHARDED");
    }
    if (!spec.regions().contains(region)) {
      throw new Refused(ErrorReason.REGION_NOT_IN_EVENT, "event " + eventId + " is not sold in region " + region);
    }
    List<String> unreachable = unreachableShards(spec);
    if (!unreachable.isEmpty()) {
      throw new Refused(ErrorReason.STORE_UNAVAILABLE, "this arbiter has no shard store for regions "
          + unreachable + " of event " + eventId);
    }
    return spec;
  }

  private static Refused stopping() {
    return new Refused(ErrorReason.SHUTTING_DOWN, "the shard coordinator is stopping");
  }

  /** The regions of {@code spec} whose shard store this coordinator cannot reach (no {@code --shard-redis}). */
  public List<String> unreachableShards(EventSpec spec) {
    return spec.regions().stream().filter(r -> !stores.containsKey(r)).toList();
  }

  /**
   * Opens every region's shard of {@code spec} in its store (see {@code EventPools}); fails when a
   * region has no store here ({@link #unreachableShards}) or a store fails.
   */
  public CompletableFuture<Void> openShards(EventSpec spec) {
    List<String> missing = unreachableShards(spec);
    if (!missing.isEmpty()) return CompletableFuture.failedFuture(new IllegalStateException("no shard store for regions " + missing));
    return CompletableFuture.allOf(spec.regions().stream().map(r -> stores.get(r).openShard(spec, r))
        .toArray(CompletableFuture[]::new));
  }

  /**
   * What the event sold, read afresh from every shard: remaining units include those in flight
   * between shards (they are still for sale), the other counters are summed over the shards.
   * Fails when a shard is unreachable ({@link #unreachableShards} or a store that does not answer).
   */
  public CompletableFuture<PoolCounters> counters(EventSpec spec) {
    return CompletableFuture.supplyAsync(() -> {
      if (!unreachableShards(spec).isEmpty()) {
        throw new IllegalStateException("no shard store for regions " + unreachableShards(spec));
      }
      List<String> resting = spec.regions().stream()
          .filter(r -> backoffs.containsKey(r) && System.nanoTime() < backoffs.get(r).untilNanos()).toList();
      if (!resting.isEmpty()) throw new IllegalStateException("the shard stores of regions " + resting + " failed moments ago");
      EventAccount account = EventAccount.of(spec.regions().stream().map(r -> backend(spec, r).snapshot()).toList());
      PoolCounters sum = new PoolCounters(0, 0, 0, 0);
      for (String region : spec.regions()) {
        sum = sum.plus(stores.get(region).shardCounters(spec, region).join());
      }
      return new PoolCounters(account.unsoldUnits(), account.soldUnits(), sum.decisions(), sum.wins());
    }, thread);
  }

  private void tick() {
    try {
      carryOut(balancer.tick(nowMicros()));
    } catch (RuntimeException e) { // a bug must not end the ticks: scheduleWithFixedDelay stops at a throw
      log.error("shard coordinator tick failed", e);
    }
  }

  /** Carries out the balancer's effects, and those they lead to, until none is left. */
  private void carryOut(List<Effect<Answer>> first) {
    Deque<Effect<Answer>> work = new ArrayDeque<>(first);
    while (!work.isEmpty()) {
      switch (work.poll()) {
        case Effect.Read<Answer> r -> {
          var snapshot = call("read", r.spec(), r.region(), () -> backend(r.spec(), r.region()).snapshot());
          // A shard its store lost is left out: the event's other shards go on lending to each other.
          work.addAll(snapshot.isEmpty() && lastCallFoundLost ? balancer.readLost(r, nowMicros())
              : balancer.read(r, snapshot, nowMicros()));
        }
        case Effect.Debit<Answer> d -> {
          var result = call("debit " + d.transferId(), d.spec(), d.plan().source(),
              () -> backend(d.spec(), d.plan().source()).debit(d.transferId(), d.plan().units(), d.plan().target()));
          result.ifPresent(r -> log.info("event={} transfer={} {} -> {} units={} debit={}", d.spec().eventId(),
              d.transferId(), d.plan().source(), d.plan().target(), d.plan().units(), r));
          work.addAll(balancer.debited(d, result));
        }
        case Effect.Credit<Answer> c -> {
          var added = call("credit " + c.transferId(), c.spec(), c.target(),
              () -> backend(c.spec(), c.target()).credit(c.transferId(), c.units()));
          if (c.recovery() && added.isPresent()) {
            log.info("event={} completed half-done transfer={} added={}", c.spec().eventId(), c.transferId(), added.get());
          }
          work.addAll(balancer.credited(c, added.isPresent()));
        }
        case Effect.Settle<Answer> s -> work.addAll(balancer.settled(s, call("settle " + s.transferId(), s.spec(),
            s.source(), () -> {
              backend(s.spec(), s.source()).settle(s.transferId());
              return true;
            }).isPresent()));
        case Effect.ForgetCredit<Answer> f -> work.addAll(balancer.forgotten(f, call("forget " + f.transferId(), f.spec(),
            f.target(), () -> {
              backend(f.spec(), f.target()).forgetCredit(f.transferId());
              return true;
            }).isPresent()));
        case Effect.Answer<Answer> a -> a.handle().accept(a.account());
        case Effect.RoundFailed<Answer> f -> {
          // Every shard lost: said once per shard already (call), not again every tick.
          if (f.cause() == ShardBalancer.Cause.ALL_SHARDS_LOST) log.debug("event={} rebalance failed cause={}: {}", f.eventId(), f.cause(), f.why());
          else failedRounds.failed(f.eventId(), f.cause(), f.why(), System.nanoTime());
        }
      }
    }
  }

  /**
   * One blocking store call; empty when the store did not answer (the balancer ends the round).
   * After a failure the region's store is left alone for a while (doubling up to {@link
   * #MAX_BACKOFF_MS}): every call waits on this one thread, so a store that times out would
   * otherwise hold up the rounds and reports of every other event too.
   */
  private <T> Optional<T> call(String what, EventSpec spec, String region, java.util.function.Supplier<T> step) {
    lastCallFoundLost = false;
    Backoff backoff = backoffs.get(region);
    long nowNanos = System.nanoTime();
    if (backoff != null && nowNanos < backoff.untilNanos()) {
      log.debug("event={} {} at shard {} skipped: the store failed {} ms ago", spec.eventId(), what, region,
          TimeUnit.NANOSECONDS.toMillis(nowNanos - backoff.failedNanos()));
      return Optional.empty();
    }
    try {
      T result = step.get();
      lostShardsLogged.remove(spec.eventId() + "/" + region); // restored: its failures are news again
      if (backoff != null) {
        backoffs.remove(region);
        log.info("shard store of region {} answers again", region);
      }
      return Optional.of(result);
    } catch (RuntimeException e) {
      var lost = flashsale.store.PoolLostException.in(e);
      if (lost.isPresent()) { // the store answers: only this event's shard is gone, the region's other events go on
        if (lostShardsLogged.add(spec.eventId() + "/" + region)) {
          log.error("event={} shard of region {} was lost by its store: {}; no stock moves to or from it until it is"
              + " restored, the event's other shards go on", spec.eventId(), region, lost.get().getMessage());
        }
        lastCallFoundLost = true;
        return Optional.empty();
      }
      long waitMs = backoff == null ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoff.waitMs() * 2);
      long failedNanos = System.nanoTime();
      backoffs.put(region, new Backoff(failedNanos, failedNanos + TimeUnit.MILLISECONDS.toNanos(waitMs), waitMs));
      if (backoff == null) log.warn("shard store of region {} failed ({}): left alone for {} ms", region, e.toString(), waitMs);
      else log.debug("event={} {} at shard {} failed again: {}", spec.eventId(), what, region, e.toString());
      return Optional.empty();
    }
  }

  private ShardBackend backend(EventSpec spec, String region) {
    return options.backendWrapper().apply(stores.get(region).shard(spec, region));
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
    stores.values().forEach(ShardStore::close);
    List.copyOf(unanswered).forEach(answer -> answer.completeExceptionally(stopping()));
  }
}
