package flashsale.arbiter;

import flashsale.arbiter.cluster.LeaderGate;
import flashsale.arbiter.cluster.LeaderLease;
import flashsale.arbiter.cluster.LeaderRole;
import flashsale.arbiter.cluster.LeaderState;
import flashsale.arbiter.cluster.Leadership;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.grpc.ArbiterAccess;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.events.EventCatalog;
import flashsale.arbiter.events.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerGrpcService;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.arbiter.metrics.ArbiterGauges;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.arbiter.modes.PoolViews;
import flashsale.arbiter.shard.ShardCoordinator;
import flashsale.arbiter.shard.ShardGrpcService;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.metrics.GrpcServerMetrics;
import flashsale.metrics.NodeMeters;
import flashsale.net.Reflection;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.security.AuthInterceptor;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import flashsale.store.OrderStores;
import flashsale.arbiter.grpc.OrderGrpcService;
import flashsale.v1.ArbiterWelcome;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.wire.Errors;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.util.TransmitStatusRuntimeExceptionInterceptor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One arbiter: the sequencer loop, its store and the gRPC server with the admin, sequencer,
 * health and reflection services. Alone (no lease) it leads from the start, unfenced. With a
 * {@link LeaderLease} it is one of a cluster: a standby behind the {@link LeaderGate} until it
 * wins the lease, and again when it loses it. Embeddable: tests and the demo pass an in-process or
 * loopback {@link ServerBuilder}, a store and a clock.
 */
public final class ArbiterNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ArbiterNode.class);

  private final ArbiterConfig config;
  private final ArbiterStore store;
  private final SequencerLoop loop;
  private final RegionSessions sessions = new RegionSessions();
  private final EventAdminGrpcService admin;
  private final EventCatalog catalog;
  private final HealthStatusManager health = new HealthStatusManager();
  private final PrometheusMeterRegistry metrics = NodeMeters.newRegistry();
  private final ArbiterGauges gauges;
  private final LeaderGate gate;
  private final Leadership leadership; // null when alone
  private final LeaderRole role; // null when alone
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
  public ArbiterNode(
      ArbiterConfig config,
      ServerBuilder<?> serverBuilder,
      ArbiterStore store,
      InstantSource clock,
      LeaderLease lease,
      ShardOptions shardOptions) {
    this.config = config;
    this.store = store;
    this.shards = new ShardCoordinator(shardOptions, store::findEvent, clock);
    var sequencerConfig = new SequencerConfig(config.maxBatchSize(), config.maxClockSkewMicros(),
        SequencerConfig.defaults().futureStampToleranceMicros(), config.regionTimeoutMicros(),
        config.maxErrorBoundMicros()).withMaxTicketAgeMicros(SequencerConfig.DEFAULT_MAX_TICKET_AGE_MICROS);
    this.loop = new SequencerLoop(new Sequencer(sequencerConfig), store, clock, sessions, new ArbiterMetrics(metrics));
    EventRegistry events = new EventRegistry();
    this.pools = new PoolViews(config.centralRedisUri(), shards);
    this.catalog = new EventCatalog(store, loop, events, sessions::announce);
    this.admin = new EventAdminGrpcService(store, loop, catalog, new SecureRandom(), pools,
        new flashsale.arbiter.grpc.AdminEventQuota(config.adminEventsPerMinute(), config.adminEventsBurst()));
    loop.onFinished(catalog::finished);
    // After the win: order books on the loop, when the store keeps orders (payment windows, waitlists).
    OrderStore orderStore = OrderStores.of(store).orElse(null);
    OrderGrpcService orderService = null;
    flashsale.arbiter.core.orders.OrderRunner orderRunner = null;
    if (orderStore != null) {
      catalog.keepOrdersIn(orderStore);
      orderRunner = loop.enableOrders(orderStore, store, clock);
      orderService = new OrderGrpcService(store, orderStore, loop, orderRunner);
    }
    if (lease == null) {
      this.leadership = null;
      this.role = null;
      this.gate = new LeaderGate(() -> "");
      gate.open();
    } else {
      loop.standBy();
      Leadership[] self = new Leadership[1];
      this.gate = new LeaderGate(() -> self[0].leaderAddress(), () -> self[0].holdsLease());
      loop.execute(() -> {
        sessions.refuseUnless(gate::isOpen, gate::refusal);
        sessions.refuseAll(gate::refusal); // a standby until it has won and recovered
      });
      this.role = new LeaderRole(store, loop, sessions, events, catalog, gate, () -> new Sequencer(sequencerConfig),
          this::followState);
      this.leadership = new Leadership(lease, config.lease(), role);
      self[0] = leadership;
      loop.onFenced(epoch -> leadership.fenced(epoch, "store fenced a batch"));
    }
    this.gauges = new ArbiterGauges(metrics, this::leaderState, () -> leadership == null ? 0 : leadership.epoch(),
        loop::query, loop::nowMicros);
    var welcome = ArbiterWelcome.newBuilder()
        .setArbiterId(config.arbiterId())
        .setMaxClockSkewMicros(config.maxClockSkewMicros())
        .build();
    var statusInterceptor = TransmitStatusRuntimeExceptionInterceptor.instance();
    // Listed last, so it runs first: nobody unauthenticated learns even whether this node leads.
    AuthInterceptor auth = config.authenticator() == null
        ? AuthInterceptor.development(ArbiterAccess.POLICY)
        : AuthInterceptor.enforcing(ArbiterAccess.POLICY, config.authenticator());
    if (!auth.enforcing()) log.warn("arbiter={} security=off: every caller may act as any region or admin (development only)", config.arbiterId());
    this.server = serverBuilder
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .addService(Reflection.withErrorDetails(
            GrpcServerMetrics.meter(ServerInterceptors.intercept(admin, statusInterceptor, gate, auth), metrics)))
        .addService(ServerInterceptors.intercept(
            new SequencerGrpcService(loop, store, sessions, events, welcome, admin::findOrLoad, orderStore, orderRunner),
            statusInterceptor, gate,
            auth))
        .addService(ServerInterceptors.intercept(new ShardGrpcService(shards), statusInterceptor, gate, auth))
        .addServices(orderService == null ? java.util.List.of()
            : java.util.List.of(ServerInterceptors.intercept(orderService, statusInterceptor, gate, auth)))
        .addService(health.getHealthService())
        .addServices(Reflection.services().stream().map(BindableService::bindService).toList())
        .build();
  }

  /**
   * Alone: loads every live event from the store, then serves. In a cluster: serves as a standby
   * (health NOT_SERVING) and joins the election; it reports SERVING once it leads with its state
   * loaded.
   */
  public ArbiterNode start() throws IOException {
    if (leadership == null) {
      List<String> nodes = store.regionNodes(); // waited for, as a new leader does
      loop.input(q -> q.regionNodesRecorded(nodes, loop.nowMicros()));
      for (EventSpec spec : store.listLiveEvents()) catalog.register(spec).join();
    }
    server.start();
    shards.start();
    followState(leaderState());
    if (leadership != null) leadership.start();
    log.info("arbiter={} {} port={} advertise={} clustered={}", config.arbiterId(),
        leadership == null ? "listening" : "standing by", port(), config.advertise(), leadership != null);
    return this;
  }

  /** This node's meters, for a {@link flashsale.metrics.MetricsEndpoint}. */
  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public int port() {
    return server.getPort();
  }

  /** True while this node leads and has rebuilt its state. */
  public boolean leading() {
    return gate.isOpen();
  }

  /** The sequencer loop, for tests that load it. */
  SequencerLoop loop() {
    return loop;
  }

  /** STANDBY, RECOVERING or LEADING; a lone arbiter always leads. */
  public LeaderState leaderState() {
    return leadership == null ? LeaderState.LEADING : leadership.state();
  }

  /** Health follows the role: SERVING only while leading (recovered), so probes find the leader. */
  private void followState(LeaderState state) {
    ServingStatus status = state == LeaderState.LEADING ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    for (String service : new String[] {"", EventAdminServiceGrpc.SERVICE_NAME, SequencerServiceGrpc.SERVICE_NAME}) {
      health.setStatus(service, status);
    }
  }

  /** Graceful stop: give the lease up, refuse new calls, end region streams (they reconnect elsewhere), drain. */
  public void stop() {
    if (leadership != null) {
      leadership.close();
      role.close();
    }
    health.enterTerminalState();
    server.shutdown();
    loop.execute(() -> sessions.closeAll(Errors.error(ErrorReason.SHUTTING_DOWN, "arbiter is stopping")));
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) server.shutdownNow();
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    gauges.close();
    loop.close();
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
