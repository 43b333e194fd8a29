package flashsale.region.grpc;

import flashsale.region.core.ArbiterStream;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.Failure;
import flashsale.region.core.OrderStates;
import flashsale.region.core.ReadOrder;
import flashsale.region.core.Readiness;
import flashsale.region.core.RegionCore;
import flashsale.region.core.StampUncertainty;
import flashsale.region.modes.ModeSellers;
import flashsale.region.modes.ModesConfig;
import flashsale.region.transport.InFlightReads;
import flashsale.sale.ErrorReason;
import flashsale.store.PoolStore;
import flashsale.store.ShardStore;
import flashsale.store.modes.RedisPoolStore;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one region's adapters around its core: the loop that owns the core, the open calls, the
 * arbiter link and look-ups, and the public service. The gRPC server itself is the caller's.
 */
public final class RegionNode {
  private static final Logger log = LoggerFactory.getLogger(RegionNode.class);
  private static final long CLOSE_TIMEOUT_MS = 5_000;
  private static final long DRAIN_POLL_MS = 10;

  /** Timings in milliseconds and table sizes; see {@code RegionConfig} for their meaning. */
  public record Settings(long heartbeatIntervalMs, long clockProbeIntervalMs, long reconnectMinMs,
      long reconnectMaxMs, int maxPending, int rememberedDecisions, long arbiterCallTimeoutMs, int maxArbiterQueries,
      long eventViewMaxAgeMs, StampUncertainty uncertainty, long arbiterSilenceTimeoutMs, BuyerLimits.Settings buyerLimits,
      flashsale.sale.Partitions partitions) {}

  private final String region;
  /** This node of the region once started ("" before, and for the region's unnamed node). */
  private volatile String nodeId = "";
  private final RegionLoop loop;
  private final CallRegistry calls = new CallRegistry();
  private final ArbiterChannels arbiter;
  private final ArbiterLinks link;
  private final FlashSaleServiceImpl service;
  /** Whether purchases are limited per client address; only then does a call carry its address. */
  private final boolean limitsAddresses;

  private final ModeSellers modes;
  private final RegionCore core;
  private final ReadOrder readOrder;
  private final PurchaseStandings standings;
  /** Most order states kept for GetPurchase (LRU); watched purchases keep theirs regardless. */
  private static final int MAX_ORDER_STATES = 100_000;
  /** A watch whose question to the arbiter failed asks again after this. */
  private static final long WATCH_RETRY_MS = 500;
  /**
   * How long a purchase waits at the loop for an older read still on its way. In a cold burst the
   * call pool and the loop's queue hold an older purchase 36-154 ms: with 20 ms, 63 purchases were
   * let go early in two grpcio wire-test runs and pushed stamps cut winner precision to 0.89; with
   * 500 ms, none in two more. A read parked elsewhere (an event look-up) holds the others at most
   * this long.
   */
  private static final long READ_ORDER_MAX_HOLD_MS = 500;
  private static final long READ_ORDER_RECHECK_MS = 1;
  private static final long READINESS_CHECK_MS = 10;
  /**
   * How long after an event's sale ended (its latest close) the node keeps what it holds of it, when
   * nothing of it is pending here; a later call about it looks it up again. Every minute.
   */
  static final long FORGET_EVENTS_ENDED_MS = 3_600_000;
  private static final long FORGET_SWEEP_MS = 60_000;

  public RegionNode(String region, String instanceId, InstantSource clock, ArbiterChannels arbiter, Settings s) {
    this(region, instanceId, clock, arbiter, s, ModesConfig.none());
  }

  /** A node that also sells CENTRAL and SHARDED events from the stores in {@code modesConfig}. */
  public RegionNode(String region, String instanceId, InstantSource clock, ArbiterChannels arbiter, Settings s,
      ModesConfig modesConfig) {
    this(region, instanceId, clock, arbiter, s, modesConfig, new InFlightReads());
  }

  /** @param inFlight purchases read off the socket and not yet stamped: watermarks stay below them */
  public RegionNode(String region, String instanceId, InstantSource clock, ArbiterChannels arbiter, Settings s,
      ModesConfig modesConfig, InFlightReads inFlight) {
    this.region = region;
    this.arbiter = arbiter;
    this.loop = new RegionLoop(region);
    RegionCore core = new RegionCore(region, s.maxPending(), s.rememberedDecisions(), clock, s.uncertainty(),
        s.buyerLimits());
    this.core = core;
    core.unstampedReads(inFlight::oldestMicros);
    core.splitInto(s.partitions());
    ArbiterInbound inbound = new ArbiterInbound(core, calls);
    this.link = new ArbiterLinks(region, instanceId, loop, core, arbiter,
        new ArbiterStream.Settings(s.heartbeatIntervalMs(), s.clockProbeIntervalMs(), s.reconnectMinMs(),
            s.reconnectMaxMs(), s.arbiterSilenceTimeoutMs()),
        inbound);
    ArbiterQueries queries = new ArbiterQueries(loop, core, link::channelFor, s.arbiterCallTimeoutMs(),
        s.maxArbiterQueries(), s.eventViewMaxAgeMs());
    inbound.onAnnounced(queries::eventKnown);
    inbound.onDecisionLookup(queries::getDecision);
    AuctionWatchers watchers = new AuctionWatchers(s.maxPending());
    queries.onAuctionClosed(watchers::changed);
    inbound.onAuctionResult((eventId, result) -> {
      if (result.getClosed()) {
        queries.auctionClosed(eventId, result); // tells the watchers too
      } else {
        watchers.changed(eventId, result);
      }
    });
    // Opened here, where the URIs are known: the sellers use the stores (and close them), never open them.
    String centralUri = modesConfig.centralRedisUri();
    String shardUri = modesConfig.shardRedisUri();
    PoolStore centralStore = centralUri == null ? null : new RedisPoolStore(centralUri, modesConfig.replicaAcks());
    ShardStore shardStore = shardUri == null ? null : new RedisPoolStore(shardUri, modesConfig.replicaAcks());
    this.modes = new ModeSellers(region, () -> nodeId, modesConfig, centralStore, shardStore, loop, link::channelFor);
    this.standings = new PurchaseStandings(new OrderStates(Math.min(s.rememberedDecisions(), MAX_ORDER_STATES)),
        queries::getDecision, loop, WATCH_RETRY_MS, s.maxPending(), Math.max(1, s.maxArbiterQueries() / 4));
    inbound.onOrderUpdate(standings::orderUpdate);
    inbound.onWelcome(() -> {
      standings.reconnected();
      // A result announced while no stream was up reached nobody: ask for the auctions it may have ended.
      for (String eventId : watchers.watchedOpen()) {
        core.eventSpec(eventId).filter(spec -> core.arrivalMicros() >= spec.latestCloseMicros())
            .ifPresent(spec -> queries.auctionOf(eventId, found -> {}, failure -> {}));
      }
    });
    this.limitsAddresses = s.buyerLimits().addressPerSecond() > 0;
    this.readOrder = new ReadOrder(loop, inFlight::oldestMicros, READ_ORDER_MAX_HOLD_MS, READ_ORDER_RECHECK_MS);
    this.service = new FlashSaleServiceImpl(loop, core, calls, link, queries, modes, s.maxPending(), watchers,
        new PurchaseLookups(core, calls, modes, standings), readOrder);
    loop.every(() -> {
      long beforeMicros = core.arrivalMicros() - TimeUnit.MILLISECONDS.toMicros(FORGET_EVENTS_ENDED_MS);
      for (String eventId : core.forgetEventsEndedBefore(beforeMicros)) {
        standings.forgetEvent(eventId);
        queries.forgetEvent(eventId);
        watchers.forgetEvent(eventId);
      }
      standings.forgetEventsUnless(core::knowsEvent);
    }, FORGET_SWEEP_MS);
  }

  /**
   * The public service; with a per-address limit, each call knows its client's address. Without
   * one (the default) no call carries it: the address and its context would be held by every
   * pending purchase for nothing (about 170 bytes each, measured with bench-memory --histogram).
   */
  public ServerServiceDefinition service() {
    return limitsAddresses ? ServerInterceptors.intercept(service, new ClientAddress()) : service.bindService();
  }

  /** Starts the arbiter link as the region's unnamed node. */
  public void start() {
    start("");
  }

  /** Starts the arbiter link as node {@code nodeId} of the region (its own ordered stream at the arbiter). */
  public void start(String nodeId) {
    this.nodeId = nodeId;
    link.start(nodeId);
  }

  /**
   * Waits until no purchase is pending here or {@code maxWaitMs} passed; returns how many are still
   * pending. A stopping node calls it once it takes no new calls, so a buyer's stamp is decided
   * rather than lost to a rollout. A link that is down does not end the wait: it reconnects and
   * resends the pending tickets (a failover of the arbiters during the rollout).
   */
  public int awaitDrained(long maxWaitMs) throws InterruptedException {
    long deadlineNanos = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
    while (true) {
      int pending;
      try {
        pending = loop.call(core::pendingCount, CLOSE_TIMEOUT_MS);
      } catch (TimeoutException e) {
        return -1; // the loop is stuck: close() says so
      }
      if (pending == 0 || System.nanoTime() - deadlineNanos >= 0) return pending;
      Thread.sleep(DRAIN_POLL_MS);
    }
  }

  /**
   * Fails every waiting and later Purchase with UNAVAILABLE SHUTTING_DOWN and closes the arbiter
   * stream. Returns how many calls were failed.
   */
  public int close() throws InterruptedException {
    Failure shuttingDown = Failure.of(ErrorReason.SHUTTING_DOWN, "region " + region + " is shutting down; "
        + "retry on another region with the same request_id");
    try {
      return loop.call(() -> {
        int failed = calls.close(shuttingDown);
        standings.close(shuttingDown);
        modes.close(shuttingDown);
        link.close();
        return failed;
      }, CLOSE_TIMEOUT_MS);
    } catch (TimeoutException e) {
      log.error("region loop not closed region={} timeout_ms={}", region, CLOSE_TIMEOUT_MS);
      return 0;
    }
  }

  /** Stops the loop and the arbiter channels; after {@link #close()} and after the server ended. */
  public void release() throws InterruptedException {
    loop.shutdown();
    arbiter.close();
  }

  /**
   * Calls {@code changed} (on the region loop) with the node's readiness whenever it changes, and
   * once at first: {@code warm} says whether the purchase path has been warmed up.
   */
  public void watchReadiness(BooleanSupplier warm, Consumer<Readiness> changed) {
    Readiness[] last = {null};
    loop.every(() -> {
      Readiness now = new Readiness(warm.getAsBoolean(), link.connected(), core.clockFlagged());
      if (!now.equals(last[0])) {
        last[0] = now;
        changed.accept(now);
      }
    }, READINESS_CHECK_MS);
  }

  /**
   * Registers this node's gauges (pending purchases, arbiter link, clock offset) and its count of
   * StreamPurchases answers by code with {@code registry}.
   */
  public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    RegionGauges.bind(registry, region, loop, core, readOrder, link::connected);
    service.meterStreamAnswers(registry);
  }

  public boolean arbiterConnected() {
    return link.connected();
  }
}
