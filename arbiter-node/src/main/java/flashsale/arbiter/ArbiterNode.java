package flashsale.arbiter;

import flashsale.arbiter.cluster.LeaderGate;
import flashsale.arbiter.cluster.LeaderLease;
import flashsale.arbiter.cluster.LeaderRole;
import flashsale.arbiter.cluster.Leadership;
import flashsale.arbiter.cluster.Takeover;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.grpc.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerGrpcService;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.arbiter.modes.PoolViews;
import flashsale.arbiter.shard.ShardCoordinator;
import flashsale.arbiter.shard.ShardGrpcService;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.v1.ArbiterWelcome;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.wire.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Server;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.util.TransmitStatusRuntimeExceptionInterceptor;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.InstantSource;
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
  private final HealthStatusManager health = new HealthStatusManager();
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final LeaderGate gate;
  private final Leadership leadership; // null when alone
  private final Takeover takeover; // null when alone
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
        SequencerConfig.defaults().futureStampToleranceMicros(), config.regionTimeoutMicros());
    this.loop = new SequencerLoop(new Sequencer(sequencerConfig), store, clock, sessions, new ArbiterMetrics(metrics));
    EventRegistry events = new EventRegistry();
    this.pools = new PoolViews(config.centralRedisUri(), shards);
    this.admin = new EventAdminGrpcService(store, loop, sessions, events, new SecureRandom(), pools);
    loop.onFinished(admin::finished);
    if (lease == null) {
      this.leadership = null;
      this.takeover = null;
      this.gate = new LeaderGate(() -> "");
      gate.open();
    } else {
      loop.standBy();
      Leadership[] self = new Leadership[1];
      this.gate = new LeaderGate(() -> self[0].leaderAddress());
      this.takeover = new Takeover(store, loop, events, admin, gate, () -> new Sequencer(sequencerConfig));
      var role = new LeaderRole(store, loop, sessions, events, admin, gate, () -> new Sequencer(sequencerConfig), takeover);
      this.leadership = new Leadership(lease, config.lease(), role, System::nanoTime);
      self[0] = leadership;
      loop.onFenced(epoch -> leadership.fenced(epoch, "store fenced a batch"));
      takeover.onFailed(epoch -> leadership.fenced(epoch, "recovery failed"));
      takeover.onServing(this::reportServing);
    }
    var welcome = ArbiterWelcome.newBuilder()
        .setArbiterId(config.arbiterId())
        .setMaxClockSkewMicros(config.maxClockSkewMicros())
        .build();
    var statusInterceptor = TransmitStatusRuntimeExceptionInterceptor.instance();
    this.server = serverBuilder
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .addService(ServerInterceptors.intercept(admin, statusInterceptor, gate))
        .addService(ServerInterceptors.intercept(
            new SequencerGrpcService(loop, store, sessions, events, welcome, admin::findOrLoad), statusInterceptor, gate))
        .addService(ServerInterceptors.intercept(new ShardGrpcService(shards), statusInterceptor, gate))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .build();
  }

  /**
   * Alone: loads every live event from the store, then serves. In a cluster: serves as a standby
   * (health NOT_SERVING) and joins the election; it reports SERVING once it leads with its state
   * loaded.
   */
  public ArbiterNode start() throws IOException {
    if (leadership == null) {
      for (EventSpec spec : store.listLiveEvents()) admin.register(spec).join();
    }
    reportServing(leadership == null);
    server.start();
    shards.start();
    if (leadership != null) leadership.start();
    log.info("arbiter={} {} port={} advertise={} clustered={}", config.arbiterId(),
        leadership == null ? "listening" : "standing by", port(), config.advertise(), leadership != null);
    return this;
  }

  private void reportServing(boolean up) {
    ServingStatus status = up ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    health.setStatus("", status);
    health.setStatus(EventAdminServiceGrpc.SERVICE_NAME, status);
    health.setStatus(SequencerServiceGrpc.SERVICE_NAME, status);
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

  /** Graceful stop: give the lease up, refuse new calls, end region streams (they reconnect elsewhere), drain. */
  public void stop() {
    if (takeover != null) takeover.close();
    if (leadership != null) leadership.close();
    health.enterTerminalState();
    server.shutdown();
    loop.execute(() -> sessions.closeAll(Errors.error(ErrorReason.SHUTTING_DOWN, "arbiter is stopping")));
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) server.shutdownNow();
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
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
