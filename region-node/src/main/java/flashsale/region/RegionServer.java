package flashsale.region;

import flashsale.metrics.GrpcServerMetrics;
import flashsale.metrics.NodeMeters;
import flashsale.net.EdgeServerBuilder;
import flashsale.net.Reflection;
import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.grpc.RegionNode;
import flashsale.region.grpc.TransportWarmup;
import flashsale.region.modes.ModesConfig;
import flashsale.region.transport.ArrivalStamps;
import flashsale.region.transport.DecodingThread;
import flashsale.region.transport.InFlightReads;
import flashsale.region.transport.StampedTransport;
import flashsale.v1.FlashSaleServiceGrpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region node's gRPC server: the FlashSaleService, health and reflection over the caller's
 * {@link ServerBuilder} (in-process in tests), and the node's link to the arbiter. Embeddable: a
 * test or demo passes its own clock (to skew it) and arbiter channels (to route them through a
 * proxy). A node that buyers reach over a network comes from {@link #onPort} or
 * {@link #onAddress}, whose transport stamps each purchase at the socket read that ended its call;
 * over a builder of the caller's, a purchase is stamped when its handler runs, so the builder is
 * always set to the direct executor (a pooled one would stamp each call when a pool thread got to
 * it, in no fixed order):
 *
 * <pre>{@code
 * RegionServer eu = new RegionServer(
 *     InProcessServerBuilder.forName("eu"),
 *     RegionConfig.builder("eu").heartbeatIntervalMs(2).build(),
 *     InstantSource.offset(InstantSource.system(), Duration.ofMillis(3)), // a clock 3 ms fast
 *     ArbiterChannels.of(ManagedChannelBuilder.forAddress("localhost", proxyPort).usePlaintext().build()))
 *     .start();
 * ...
 * eu.stop();
 * }</pre>
 */
public final class RegionServer {
  private volatile boolean serving;
  private static final Logger log = LoggerFactory.getLogger(RegionServer.class);
  /** A Purchase is a few short strings; anything near this is abuse. */
  public static final int MAX_INBOUND_BYTES = 1024 * 1024;
  private static final long STOP_GRACE_MS = 5_000;

  private final RegionConfig config;
  private final RegionNode node;
  /** This process run, for logs; the node id (chosen at start) names the node across runs. */
  private final String instanceId = UUID.randomUUID().toString();
  private volatile String nodeId = "";
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server server;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final AtomicBoolean warm = new AtomicBoolean();
  private volatile int warmupCallsAnswered;
  /** The socket transport this server owns, if it made one ({@link #onPort}); null in-process. */
  private StampedTransport ownedTransport;
  /** Whether the buyer port serves TLS: the warm-up then shakes hands too. */
  private boolean buyerTls;

  /** A node on the system clock with channels to {@code config.arbiterTargets()}. */
  private final PrometheusMeterRegistry metrics = NodeMeters.newRegistry();

  public RegionServer(ServerBuilder<?> serverBuilder, RegionConfig config) {
    this(serverBuilder, config, InstantSource.system(), ArbiterChannels.forTargets(requireTargets(config)));
  }

  /**
   * @param clock the region's clock (stamps, event windows, probes); skew it to simulate a bad host
   * @param arbiter channels to the arbiter nodes, tried in turn; the server shuts them down on stop
   */
  public RegionServer(ServerBuilder<?> serverBuilder, RegionConfig config, InstantSource clock, ArbiterChannels arbiter) {
    this(serverBuilder, config, clock, arbiter, ModesConfig.none());
  }

  /** As above, also selling CENTRAL and SHARDED events from the stores in {@code modes}. */
  public RegionServer(ServerBuilder<?> serverBuilder, RegionConfig config, InstantSource clock, ArbiterChannels arbiter,
      ModesConfig modes) {
    this(serverBuilder, config, clock, arbiter, modes, new InFlightReads());
  }

  /** @param inFlight what the server's transport reads into: watermarks stay below every read not yet stamped */
  private RegionServer(ServerBuilder<?> serverBuilder, RegionConfig config, InstantSource clock, ArbiterChannels arbiter,
      ModesConfig modes, InFlightReads inFlight) {
    this.config = Objects.requireNonNull(config, "config");
    this.node = new RegionNode(config.region(), instanceId, clock, arbiter, nodeSettings(config),
        modes, inFlight);
    node.bindMetrics(metrics);
    this.server = EdgeServerBuilder.of(serverBuilder.directExecutor())
        // Metered outside the arrival bound, so the calls it closes count under their status.
        .addService(Reflection.withErrorDetails(GrpcServerMetrics.meter(io.grpc.ServerInterceptors.intercept(node.service(),
            new flashsale.net.IncompleteRequests(config.requestArrivalTimeoutMs(), DecodingThread::currentScheduler)), metrics)))
        .addServices(flashsale.net.OpenCallCap.openServices(health.getHealthService())) // open to anybody: capped
        .addStreamTracerFactory(new ArrivalStamps(clock, inFlight, FlashSaleServiceGrpc.getPurchaseMethod().getFullMethodName(),
            FlashSaleServiceGrpc.getPlaceBidMethod().getFullMethodName()))
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .build();
  }

  /**
   * A node listening on {@code port} (0 picks a free one) whose purchases are stamped at the socket
   * read, before decoding: the production transport.
   */
  public static RegionServer onPort(int port, RegionConfig config, InstantSource clock, ArbiterChannels arbiter,
      ModesConfig modes) {
    return onAddress(new InetSocketAddress(port), config, clock, arbiter, modes, InsecureServerCredentials.create());
  }

  /**
   * As {@link #onPort(int, RegionConfig, InstantSource, ArbiterChannels, ModesConfig)}, on one address
   * ({@code --bind}), serving buyers with {@code buyerCredentials} (TLS from --tls-cert and --tls-key).
   */
  public static RegionServer onAddress(InetSocketAddress address, RegionConfig config, InstantSource clock,
      ArbiterChannels arbiter, ModesConfig modes, ServerCredentials buyerCredentials) {
    InFlightReads inFlight = new InFlightReads();
    StampedTransport transport = StampedTransport.onAddress(address, clock, inFlight, config.serverLimits(),
        config.connectionCaps(), buyerCredentials);
    RegionServer server = new RegionServer(transport.serverBuilder(), config, clock, arbiter, modes, inFlight);
    server.ownedTransport = transport;
    bindConnectionMeters(server.metrics, transport);
    server.buyerTls = buyerCredentials instanceof io.grpc.TlsServerCredentials;
    return server;
  }

  /** As {@link #onPort(int, RegionConfig, InstantSource, ArbiterChannels, ModesConfig)}, on the system clock. */
  public static RegionServer onPort(int port, RegionConfig config) {
    return onPort(port, config, InstantSource.system(), ArbiterChannels.forTargets(requireTargets(config)),
        ModesConfig.none());
  }

  private static void bindConnectionMeters(PrometheusMeterRegistry metrics, StampedTransport transport) {
    io.micrometer.core.instrument.Gauge.builder("flashsale_buyer_connections", transport, StampedTransport::openConnections)
        .description("Buyer connections open on this node's port").register(metrics);
    for (boolean byNode : new boolean[] {true, false}) {
      io.micrometer.core.instrument.FunctionCounter.builder("flashsale_buyer_connections_refused", transport,
              t -> t.refusedConnections(byNode))
          .description("Buyer connections closed unread because the node, or their client address, had the most it holds open")
          .tag("cap", byNode ? "node" : "address").register(metrics);
    }
  }

  /** This node's meters (served by {@link flashsale.metrics.MetricsEndpoint} with --metrics-port). */
  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public RegionServer start() throws IOException {
    setHealth(HealthCheckResponse.ServingStatus.NOT_SERVING);
    server.start();
    if (ownedTransport != null) ownedTransport.open(); // the socket, once gRPC listens behind it
    nodeId = RegionNodeId.resolve(config.nodeId(), port(), instanceId);
    node.start(nodeId);
    node.watchReadiness(warm::get, readiness -> {
      setHealth(readiness.serving() ? HealthCheckResponse.ServingStatus.SERVING
          : HealthCheckResponse.ServingStatus.NOT_SERVING);
      log.info("region readiness region={} serving={} reason=\"{}\" readiness=\"{}\"", config.region(), readiness.serving(), readiness.why(), readiness);
    });
    warmUp();
    log.info("region listening region={} node={} port={} heartbeat_ms={} max_pending={} transport={}", config.region(),
        nodeId, port(), config.heartbeatIntervalMs(), config.maxPending(),
        ownedTransport == null ? "in-process" : ownedTransport.kind());
    return this;
  }

  /** Warms the purchase path through this node's own socket, off the caller's thread; in-process, nothing to warm. */
  private void warmUp() {
    if (ownedTransport == null || config.warmupPurchases() == 0) {
      warm.set(true);
      return;
    }
    Thread warming = new Thread(() -> {
      try {
        warmupCallsAnswered = TransportWarmup.run(ownedTransport.reachableAddress(), config.warmupPurchases(), buyerTls);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        warm.set(true);
      }
    }, "region-warmup");
    warming.setDaemon(true);
    warming.start();
  }

  /** How many of the warm-up's purchases this node answered (refused as invalid, as meant); 0 until it ends. */
  int warmupCallsAnswered() {
    return warmupCallsAnswered;
  }

  /** True while gRPC health says SERVING (warm, linked to an arbiter, clock not flagged). */
  public boolean serving() {
    return serving;
  }

  private void setHealth(HealthCheckResponse.ServingStatus status) {
    serving = status == HealthCheckResponse.ServingStatus.SERVING;
    if (stopped.get()) serving = false; // a stop that began before or during the write
    health.setStatus("", status);
    health.setStatus(FlashSaleServiceGrpc.SERVICE_NAME, status);
  }

  /**
   * Stops taking calls, waits up to {@code shutdownDrainMs} for the pending purchases' decisions,
   * fails the rest with UNAVAILABLE SHUTTING_DOWN (clients retry elsewhere with the same
   * request_id), closes the arbiter link and waits for calls to end.
   */
  public void stop() throws InterruptedException {
    if (!stopped.compareAndSet(false, true)) return;
    serving = false; // /readyz with gRPC health: a load balancer takes the node out as it drains
    health.enterTerminalState();
    if (ownedTransport != null) ownedTransport.closeSocket(); // no new connections; open ones get gRPC's GOAWAY
    server.shutdown();
    if (config.shutdownDrainMs() > 0) {
      long drainStartNanos = System.nanoTime();
      int undrained = node.awaitDrained(config.shutdownDrainMs());
      log.info("region drained region={} drain_ms={} still_pending={}", config.region(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainStartNanos), undrained);
    }
    int failed = node.close();
    if (!server.awaitTermination(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
      log.warn("region calls still open region={} after_ms={} action=cancel", config.region(), STOP_GRACE_MS);
      server.shutdownNow().awaitTermination(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
    }
    node.release();
    if (ownedTransport != null) ownedTransport.close();
    log.info("region stopped region={} pending_failed_shutting_down={}", config.region(), failed);
  }

  public void blockUntilShutdown() throws InterruptedException {
    server.awaitTermination();
  }

  /** The bound port, or -1 for an in-process server. */
  public int port() {
    return ownedTransport != null ? ownedTransport.port() : server.getPort();
  }

  public String region() {
    return config.region();
  }

  /** This node's id within its region (configured, or derived at {@link #start()}); empty before start. */
  public String nodeId() {
    return nodeId;
  }

  /** True once the purchase path has been warmed up (at once for an in-process server). */
  public boolean warm() {
    return warm.get();
  }

  /** True while the arbiter stream is up (welcomed). For readiness checks in tests and demos. */
  public boolean arbiterConnected() {
    return node.arbiterConnected();
  }

  private static RegionNode.Settings nodeSettings(RegionConfig c) {
    return new RegionNode.Settings(c.heartbeatIntervalMs(), c.clockProbeIntervalMs(), c.reconnectMinMs(),
        c.reconnectMaxMs(), c.maxPending(), c.rememberedDecisions(), c.arbiterCallTimeoutMs(), c.maxArbiterQueries(),
        c.eventViewMaxAgeMs(), c.uncertainty(),
        c.arbiterSilenceTimeoutMs(), c.buyerLimits(), c.partitions());
  }

  private static List<String> requireTargets(RegionConfig config) {
    if (config.arbiterTargets().isEmpty()) throw new IllegalArgumentException("no arbiter targets in config");
    return config.arbiterTargets();
  }
}
