package flashsale.arbiter;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.grpc.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerGrpcService;
import flashsale.arbiter.grpc.SequencerLoop;
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
 * health and reflection services. Embeddable: tests and the demo pass an in-process or
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
  private final Server server;
  private final ShardCoordinator shards;

  public ArbiterNode(ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock) {
    this(config, serverBuilder, store, clock, ShardOptions.of(Map.of()));
  }

  /** As above, rebalancing SHARDED events between the regions' shard stores in {@code shardOptions}. */
  public ArbiterNode(ArbiterConfig config, ServerBuilder<?> serverBuilder, ArbiterStore store, InstantSource clock,
      ShardOptions shardOptions) {
    this.config = config;
    this.shards = new ShardCoordinator(shardOptions, store::findEvent, clock);
    this.store = store;
    var sequencer =
        new Sequencer(
            new SequencerConfig(config.maxBatchSize(), config.maxClockSkewMicros(), SequencerConfig.defaults().futureStampToleranceMicros()));
    this.loop = new SequencerLoop(sequencer, store, clock, sessions);
    EventRegistry events = new EventRegistry();
    this.admin = new EventAdminGrpcService(store, loop, sessions, events, new SecureRandom());
    var welcome =
        ArbiterWelcome.newBuilder()
            .setArbiterId(config.arbiterId())
            .setMaxClockSkewMicros(config.maxClockSkewMicros())
            .build();
    var statusInterceptor = TransmitStatusRuntimeExceptionInterceptor.instance();
    this.server =
        serverBuilder
            .maxInboundMessageSize(config.maxInboundMessageBytes())
            .addService(ServerInterceptors.intercept(admin, statusInterceptor))
            .addService(ServerInterceptors.intercept(new SequencerGrpcService(loop, sessions, events, welcome), statusInterceptor))
            .addService(ServerInterceptors.intercept(new ShardGrpcService(shards), statusInterceptor))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
  }

  /** Rebuilds every stored event's state from the store, then starts serving. */
  public ArbiterNode start() throws IOException {
    for (EventSpec spec : store.listEvents()) admin.register(spec).join();
    server.start();
    shards.start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(EventAdminServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(SequencerServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    log.info("arbiter={} listening port={} events={}", config.arbiterId(), port(), store.listEvents().size());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  /** Graceful stop: refuse new calls, end region streams (they reconnect elsewhere), drain. */
  public void stop() {
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
