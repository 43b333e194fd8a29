package flashsale.arbiter;

import flashsale.arbiter.cluster.ArbiterRoster;
import flashsale.arbiter.cluster.LeaderGate;
import flashsale.arbiter.cluster.LeaderLease;
import flashsale.arbiter.cluster.LeaderState;
import flashsale.arbiter.cluster.Leadership;
import flashsale.arbiter.cluster.PartitionLeaderships;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.grpc.AdminEventQuota;
import flashsale.arbiter.grpc.ArbiterAccess;
import flashsale.arbiter.grpc.PartitionRouter;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.arbiter.metrics.ArbiterGauges;
import flashsale.arbiter.modes.PoolViews;
import flashsale.arbiter.shard.ShardCoordinator;
import flashsale.arbiter.shard.ShardGrpcService;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.metrics.GrpcServerMetrics;
import flashsale.metrics.NodeMeters;
import flashsale.net.Reflection;
import flashsale.sale.Partitions;
import flashsale.security.AuthInterceptor;
import flashsale.security.Authenticator;
import flashsale.store.ArbiterStore;
import flashsale.store.ShardStore;
import flashsale.store.modes.RedisPoolStore;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.SequencerServiceGrpc;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.util.TransmitStatusRuntimeExceptionInterceptor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One arbiter: the sequencer loop(s), the store and the gRPC server with the admin, sequencer,
 * health and reflection services. Alone (no lease) it leads from the start, unfenced. With a
 * {@link LeaderLease} it is one of a cluster: a standby behind the {@link LeaderGate} until it
 * wins the lease, and again when it loses it. With leadership split into {@link Partitions}, each
 * partition is an {@link ArbiterPartition} with its own lease, and this node leads its fair share.
 * Embeddable: tests and the demo pass an in-process or loopback {@link ServerBuilder}, a store and
 * a clock.
 */
public final class ArbiterNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ArbiterNode.class);

  private final ArbiterConfig config;
  private final ArbiterStore store;
  private final Partitions partitions;
  private final List<ArbiterPartition> parts = new ArrayList<>();
  private final HealthStatusManager health = new HealthStatusManager();
  private final PrometheusMeterRegistry metrics = NodeMeters.newRegistry();
  private final ArbiterGauges gauges;
  private final Leadership leadership; // the single lease; null when alone or partitioned
  private final PartitionLeaderships partitionLeaderships; // null unless partitioned
  private final Server server;
  private final ShardCoordinator shards;
  private final PoolViews pools;

  /** A lone arbiter: leads at once, without a lease or fencing. */
  public ArbiterNode(ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock) {
    this(config, serverBuilder, store, clock, null, ShardOptions.of(Map.of()));
  }

  /** A lone arbiter that also rebalances SHARDED events between the regions' shard stores. */
  public ArbiterNode(ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock,
      ShardOptions shardOptions) {
    this(config, serverBuilder, store, clock, null, shardOptions);
  }

  /** A cluster member competing for {@code lease}; a lone arbiter when it is null. */
  public ArbiterNode(
      ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock, LeaderLease lease) {
    this(config, serverBuilder, store, clock, lease, ShardOptions.of(Map.of()));
  }

  /**
   * A cluster member competing for {@code lease} (a lone arbiter when it is null), rebalancing
   * SHARDED events between the shard stores in {@code shardOptions}.
   */
  public ArbiterNode(ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock,
      LeaderLease lease, ShardOptions shardOptions) {
    this(config, serverBuilder, store, clock, Partitions.ONE, lease == null ? null : p -> lease, null, shardOptions);
  }

  /**
   * A cluster member whose leadership is split into {@code partitions}: each has its own lease
   * ({@code leases}) and fencing epoch, and this node leads its fair share of them over the live
   * arbiters of {@code roster}. A region node keeps one stream per partition, with the same count.
   */
  public ArbiterNode(ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock,
      Partitions partitions, IntFunction<LeaderLease> leases, ArbiterRoster roster, ShardOptions shardOptions) {
    if (partitions.count() > 1 && (leases == null || roster == null)) {
      throw new IllegalArgumentException("leadership split into " + partitions.count()
          + " partitions needs a lease per partition and a roster (a Redis store)");
    }
    this.config = config;
    this.store = store;
    this.partitions = partitions;
    // The pool stores are opened here, where their URIs are known; the coordinator and the views close them.
    this.shards = new ShardCoordinator(shardOptions, openShardStores(shardOptions), store::findEvent, clock);
    var sequencerConfig = new SequencerConfig(config.maxBatchSize(), config.maxClockSkewMicros(),
        SequencerConfig.defaults().futureStampToleranceMicros(), config.regionTimeoutMicros(),
        config.maxErrorBoundMicros()).withMaxTicketAgeMicros(config.maxTicketAgeMicros());
    this.pools = new PoolViews(config.centralRedisUri() == null ? null
        : new RedisPoolStore(config.centralRedisUri(), shardOptions.replicaAcks()), shards);
    var adminQuota = new AdminEventQuota(store, config.adminEventsPerMinute(), config.adminEventsBurst());
    for (int p = 0; p < partitions.count(); p++) {
      parts.add(new ArbiterPartition(p, partitions, config, sequencerConfig, store, clock, metrics, pools, adminQuota));
    }
    if (leases == null) {
      this.leadership = null;
      this.partitionLeaderships = null;
      parts.forEach(ArbiterPartition::leadAlone);
    } else if (partitions.count() == 1) {
      this.partitionLeaderships = null;
      parts.get(0).compete(listener -> new Leadership(leases.apply(0), config.lease(), listener), this::followState);
      this.leadership = parts.get(0).leadership();
    } else {
      this.leadership = null;
      this.partitionLeaderships = new PartitionLeaderships(partitions, leases, roster, config.lease());
      parts.forEach(part -> part.compete(partitionLeaderships::join, this::followState));
    }
    Authenticator authenticator = config.authenticator();
    this.gauges = new ArbiterGauges(metrics, this::leaderState, this::highestEpoch,
        parts.stream().map(part -> new ArbiterGauges.PartitionRole(part.partition, part::state, part::epoch,
            query -> part.loop.query(query), part.loop::queuedTasks)).toList(),
        () -> authenticator == null ? 0 : authenticator.staleCredentialFiles(),
        () -> parts.get(0).loop.nowMicros());
    var statusInterceptor = TransmitStatusRuntimeExceptionInterceptor.instance();
    // Applied last, so it runs first: nobody unauthenticated learns even whether this node leads.
    AuthInterceptor auth = config.authenticator() == null
        ? AuthInterceptor.development(ArbiterAccess.POLICY)
        : AuthInterceptor.enforcing(ArbiterAccess.POLICY, config.authenticator());
    if (!auth.enforcing()) log.warn("arbiter={} security=off: every caller may act as any region or admin (development only)", config.arbiterId());
    // Each partition's copy of a service sits behind that partition's gate; the router picks the copy.
    Function<Function<ArbiterPartition, BindableService>, ServerServiceDefinition> gated = service -> {
      List<ServerServiceDefinition> copies = parts.stream()
          .map(part -> ServerInterceptors.intercept(service.apply(part), statusInterceptor, part.gate()))
          .toList();
      ServerServiceDefinition routed = copies.size() == 1 ? copies.get(0) : PartitionRouter.route(copies, partitions);
      return ServerInterceptors.intercept(routed, auth);
    };
    ShardGrpcService shardService = new ShardGrpcService(shards);
    // Every arbiter, not only the launcher's: bytes that do not parse are bad input, and grpc-java's
    // protocol rejections log one line, not a trace (the demo's and the benchmarks' arbiters too).
    ServerBuilder<?> builder = flashsale.net.EdgeServerBuilder.of(serverBuilder)
        .callExecutor(ArbiterNode::callExecutor)
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .addService(Reflection.withErrorDetails(GrpcServerMetrics.meter(gated.apply(part -> part.admin), metrics)))
        .addService(gated.apply(part -> part.sequencer))
        .addService(gated.apply(part -> shardService));
    // Metered like the admin API: an order path that fails during the payment window shows in grpc_server_*.
    if (parts.get(0).orders != null) builder.addService(GrpcServerMetrics.meter(gated.apply(part -> part.orders), metrics));
    // Open to anybody: their long-lived streams are capped per node.
    this.server = builder.addServices(flashsale.net.OpenCallCap.openServices(health.getHealthService())).build();
  }

  /**
   * Where a call's messages are handled. A region stream's (heartbeats every few milliseconds,
   * ticket batches) on the transport thread that decoded them: its handler only checks a message
   * and posts it to the sequencer loop, so the default pool's hand-off (a queue and a wake-up per
   * message) bought nothing but CPU. Every other call keeps the pool (null): some wait on the store.
   */
  private static java.util.concurrent.Executor callExecutor(io.grpc.ServerCall<?, ?> call, io.grpc.Metadata headers) {
    return call.getMethodDescriptor().getFullMethodName().equals(SequencerServiceGrpc.getSequenceMethod().getFullMethodName())
        ? Runnable::run : null;
  }

  /**
   * Alone: loads every live event from the store, then serves. In a cluster: serves as a standby
   * (health NOT_SERVING) and joins the election; it reports SERVING once it leads with its state
   * loaded (with partitions: once it leads at least one).
   */
  public ArbiterNode start() throws IOException {
    if (leadership == null && partitionLeaderships == null) parts.forEach(ArbiterPartition::loadAlone);
    server.start();
    shards.start();
    followState(leaderState());
    if (leadership != null) leadership.start();
    if (partitionLeaderships != null) partitionLeaderships.start();
    boolean clustered = leadership != null || partitionLeaderships != null;
    if (clustered) Thread.ofPlatform().daemon().name("takeover-warmup").start(this::warmTakeoverReads);
    log.info("arbiter={} {} port={} advertise={} clustered={} partitions={}", config.arbiterId(),
        clustered ? "standing by" : "listening", port(), config.advertise(), clustered, partitions.count());
    return this;
  }

  /** How many live events' heads a standby reads once at start: enough to compile the decoding, not a load. */
  static final int WARMUP_HEADS = 4;

  /**
   * A standby reads once, at start, what a takeover's recovery reads first (the recorded region
   * nodes, the live index, a few live events' heads), and drops it: recovery then runs compiled
   * code, not a cold JVM's. A takeover with one live event and 1,000,000 stored decisions spent
   * 145-240 ms listing the index on a cold standby, 26-37 ms on a warm one. Reads only; a failure
   * is logged and changes nothing.
   */
  private void warmTakeoverReads() {
    long startNanos = System.nanoTime();
    try {
      store.regionNodes(partitions.partition(0));
      List<flashsale.sale.EventSpec> live = store.listLiveEvents();
      for (int i = 0; i < Math.min(WARMUP_HEADS, live.size()); i++) store.loadHead(live.get(i).eventId());
      log.info("arbiter={} takeover reads warmed liveEvents={} took_ms={}", config.arbiterId(), live.size(),
          (System.nanoTime() - startNanos) / 1_000_000);
    } catch (RuntimeException e) {
      log.info("arbiter={} takeover reads not warmed: {}", config.arbiterId(), e.toString());
    }
  }

  /** This node's meters, for a {@link flashsale.metrics.MetricsEndpoint}. */
  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public int port() {
    return server.getPort();
  }

  /** True while this node leads (with partitions: at least one) and has rebuilt its state. */
  public boolean leading() {
    // Stopping, it gives its lease up: /readyz says so at once, not a lease ttl later.
    return !stopping && parts.stream().anyMatch(part -> part.gate().isOpen());
  }

  private volatile boolean stopping;

  /** The sequencer loop, for tests that load it (of the first partition). */
  SequencerLoop loop() {
    return parts.get(0).loop;
  }

  /** The first partition's region streams (tests). */
  flashsale.arbiter.grpc.RegionSessions sessions() {
    return parts.get(0).sessions;
  }

  private static Map<String, ShardStore> openShardStores(ShardOptions options) {
    Map<String, ShardStore> stores = new HashMap<>();
    options.shardRedisUris().forEach((region, uri) -> stores.put(region, new RedisPoolStore(uri, options.replicaAcks())));
    return stores;
  }

  /** STANDBY, RECOVERING or LEADING (with partitions: the most advanced of them); a lone arbiter always leads. */
  public LeaderState leaderState() {
    LeaderState best = LeaderState.STANDBY;
    for (ArbiterPartition part : parts) {
      LeaderState s = part.state();
      if (s.ordinal() > best.ordinal()) best = s;
    }
    return best;
  }

  private long highestEpoch() {
    return parts.stream().mapToLong(ArbiterPartition::epoch).max().orElse(0);
  }

  /** Health follows the role: SERVING only while leading (recovered), so probes find the leader. */
  private void followState(LeaderState ignoredPartitionState) {
    LeaderState state = leaderState();
    ServingStatus status = state == LeaderState.LEADING ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    for (String service : new String[] {"", EventAdminServiceGrpc.SERVICE_NAME, SequencerServiceGrpc.SERVICE_NAME}) {
      health.setStatus(service, status);
    }
  }

  /** Graceful stop: give the leases up, refuse new calls, end region streams (they reconnect elsewhere), drain. */
  public void stop() {
    stopping = true;
    // Told as a stop (go elsewhere now) from here on, not as a standby naming a leader.
    parts.forEach(part -> {
      if (part.gate() != null) part.gate().stopping();
    });
    if (partitionLeaderships != null) partitionLeaderships.close();
    parts.forEach(part -> part.stopCompeting(partitionLeaderships == null));
    health.enterTerminalState();
    server.shutdown();
    parts.forEach(ArbiterPartition::close);
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) server.shutdownNow();
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    gauges.close();
    parts.forEach(part -> part.loop.close());
    shards.close();
    pools.close();
    store.close();
    log.info("arbiter={} stopped", config.arbiterId());
  }

  public void blockUntilShutdown() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    stop();
  }
}
