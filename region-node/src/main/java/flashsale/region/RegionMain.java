package flashsale.region;

import flashsale.net.ServerLimits;
import flashsale.net.ServerLimitsOptions;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.StampUncertainty;
import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.modes.ModesConfig;
import flashsale.store.ReplicaAcks;
import java.io.IOException;
import java.time.InstantSource;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import flashsale.credentials.TlsFiles;
import flashsale.metrics.MetricsEndpoint;
import flashsale.ops.NodeCommandLine;
import flashsale.ops.NodeOptions;
import flashsale.ops.NodeVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code region-node} command: parses flags, starts a {@link RegionServer}, stops it on exit. */
@Command(name = "region-node", mixinStandardHelpOptions = true, versionProvider = NodeVersion.class,
    description = "Serves FlashSaleService for one region and streams stamped purchases to the arbiter.")
public final class RegionMain implements Callable<Integer> {
  static final int EXIT_USAGE = NodeCommandLine.EXIT_USAGE;

  @Mixin NodeOptions node;

  @Option(names = "--region", required = true, description = "This region's id, e.g. us-east.")
  String region;

  @Option(names = "--partitions", description = "How many partitions the arbiters split events into (their --partitions): "
      + "this node keeps one stream per partition, to that partition's leader (default: ${DEFAULT-VALUE}).")
  int partitions = 1;

  @Option(names = "--node-id", defaultValue = "",
      description = "This node's id within its region, when several nodes serve one region (behind an L4 load "
          + "balancer): each node is its own ordered stream at the arbiter, and a restart under the same id replaces "
          + "its old stream. 1 to 64 of [A-Za-z0-9._:-]; default: host:port. Not an identity: the certificate "
          + "proves the region.")
  String nodeId;

  @Option(names = "--port", defaultValue = "50061", description = "Port for FlashSaleService (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--arbiter", required = true, split = ",", paramLabel = "HOST:PORT",
      description = "Arbiter nodes, comma separated; tried in turn.")
  List<String> arbiters;

  @Option(names = "--heartbeat-interval-ms", defaultValue = "2",
      description = "Watermark interval when idle (default ${DEFAULT-VALUE}).")
  long heartbeatIntervalMs;

  @Option(names = "--metrics-port", defaultValue = "0",
      description = "Serve Prometheus metrics on http://0.0.0.0:PORT/metrics; 0 turns it off (default 0).")
  int metricsPort;

  @Option(names = "--max-pending", defaultValue = "100000",
      description = "Most purchases waiting for the arbiter (default ${DEFAULT-VALUE}).")
  int maxPending;

  @Option(names = "--remembered-decisions", defaultValue = "" + RegionConfig.DEFAULT_REMEMBERED_DECISIONS,
      description = "Decisions kept so a retried request_id is answered here, newest kept (default ${DEFAULT-VALUE});"
          + " up to 256 bytes of direct memory each; an older one is asked of the arbiter.")
  int rememberedDecisions;

  @Option(names = "--max-arbiter-queries", defaultValue = "" + RegionConfig.DEFAULT_MAX_ARBITER_QUERIES,
      description = "Most buyers' look-ups (GetPurchase, WatchPurchase, events) open at the arbiter at once; beyond,"
          + " RESOURCE_EXHAUSTED with a retry delay (default ${DEFAULT-VALUE}).")
  int maxArbiterQueries;

  @Option(names = "--shutdown-drain-ms", defaultValue = "" + RegionConfig.DEFAULT_SHUTDOWN_DRAIN_MS,
      description = "On SIGTERM, how long to wait for pending purchases to be decided (no new calls are taken) before"
          + " failing the rest UNAVAILABLE SHUTTING_DOWN; 0 fails them at once (default ${DEFAULT-VALUE}).")
  long shutdownDrainMs;

  @Option(names = "--event-view-max-age-ms", defaultValue = "" + RegionConfig.DEFAULT_EVENT_VIEW_MAX_AGE_MS,
      description = "How stale GetEvent may show a reservation's slots or an auction's standing: one look-up at the"
          + " arbiter serves every buyer asking within this time of its answer; 0 shares only an open one"
          + " (default ${DEFAULT-VALUE}).")
  long eventViewMaxAgeMs;

  @Option(names = "--clock-probe-interval-ms", defaultValue = "100",
      description = "Clock offset probe interval (default ${DEFAULT-VALUE}).")
  long clockProbeIntervalMs;

  @Option(names = "--arbiter-silence-timeout-ms", defaultValue = "2000",
      description = "Drop an arbiter stream that brought nothing (not even a clock reply) for this long and try the"
          + " next arbiter; set it to about the arbiters' --lease-ttl-ms (default ${DEFAULT-VALUE}).")
  long arbiterSilenceTimeoutMs;

  @Option(names = "--central-redis", paramLabel = "URI",
      description = "Central Redis that CENTRAL events deduct from (the arbiter's, in production).")
  String centralRedis;

  @Option(names = "--redis", paramLabel = "URI", description = "This region's own Redis, holding its SHARDED shards.")
  String shardRedis;

  @Option(names = "--redis-replica-acks", paramLabel = "N", defaultValue = "0", description = "Replicas of the "
      + "--central-redis and --redis primaries that must hold a CENTRAL or SHARDED decision (Redis WAIT) before it is "
      + "told: a primary that dies after answering then loses nothing told. 0 waits for none: Redis replicates "
      + "asynchronously (default: ${DEFAULT-VALUE}).")
  int redisReplicaAcks;

  @Option(names = "--redis-replica-wait-ms", defaultValue = "500", description = "How long one such wait may take; "
      + "a purchase whose decision is not acknowledged by then is answered UNAVAILABLE STORE_UNAVAILABLE, and its "
      + "retry is answered from the pool (default: ${DEFAULT-VALUE}).")
  long redisReplicaWaitMs;

  @Option(names = "--warmup-purchases", defaultValue = "" + RegionConfig.DEFAULT_WARMUP_PURCHASES,
      description = "Refused purchases the node sends itself before reporting SERVING, so its first burst is "
          + "stamped as promptly as later ones; 0 skips (default ${DEFAULT-VALUE}).")
  int warmupPurchases;

  @Option(names = "--clock-error-bound-us", defaultValue = "-1",
      description = "This host's clock error bound from its time sync (chrony/ClockBound: root dispersion + "
          + "root delay / 2); -1 derives it from the probes to the arbiter: |offset| + round trip / 2 + drift "
          + "(default ${DEFAULT-VALUE}).")
  long clockErrorBoundMicros;

  @Option(names = "--stamp-bound-us", defaultValue = "" + StampUncertainty.DEFAULT_STAMP_BOUND_MICROS,
      description = "Most a socket read may trail the bytes' arrival on this host; added to every ticket's "
          + "error bound (default ${DEFAULT-VALUE}).")
  long stampBoundMicros;

  @Option(names = "--redis-ca", paramLabel = "PEM", description = "CA certificates that sign the Redis servers' "
      + "certificates, for rediss:// URIs in --redis and --central-redis; default: the JDK's CAs.")
  java.nio.file.Path redisCa;

  @Mixin LinkSecurityOptions security = new LinkSecurityOptions();

  @Option(names = "--user-rate", defaultValue = "20",
      description = "New purchases per second one user id may place (retries of a sent request_id are never "
          + "counted); beyond it RESOURCE_EXHAUSTED RATE_LIMITED with a retry delay; 0 turns it off (default ${DEFAULT-VALUE}).")
  double userRate;

  @Option(names = "--user-burst", defaultValue = "40", description = "How many of those at once (default ${DEFAULT-VALUE}).")
  int userBurst;

  @Option(names = "--address-rate", defaultValue = "0",
      description = "New purchases per second from one client IP address; 0 turns it off, as behind a proxy or "
          + "load balancer every buyer shares its address (default ${DEFAULT-VALUE}).")
  double addressRate;

  @Option(names = "--address-burst", defaultValue = "1000", description = "How many of those at once (default ${DEFAULT-VALUE}).")
  int addressBurst;

  @Option(names = "--max-pending-per-user", defaultValue = "20",
      description = "Most undecided purchases one user may hold in one event (default ${DEFAULT-VALUE}).")
  int maxPendingPerUser;

  @Option(names = "--rate-limit-keys", defaultValue = "1000000",
      description = "Most user ids (and, apart, addresses) whose rate buckets are kept; beyond, the least used "
          + "are dropped (default ${DEFAULT-VALUE}).")
  long rateLimitKeys;

  @CommandLine.Mixin
  ServerLimitsOptions serverLimits = new ServerLimitsOptions();

  @Option(names = "--request-arrival-timeout-ms", paramLabel = "MS",
      defaultValue = "" + flashsale.net.IncompleteRequests.DEFAULT_TIMEOUT_MS,
      description = "A buyer's call whose request (its message and the end of its stream) has not arrived whole this "
          + "long after its headers is closed DEADLINE_EXCEEDED REQUEST_INCOMPLETE; StreamPurchases is exempt; 0 never, "
          + "else at least 100 (default ${DEFAULT-VALUE}).")
  long requestArrivalTimeoutMs;

  @Option(names = "--max-connections", paramLabel = "N",
      defaultValue = "" + flashsale.region.transport.ConnectionCaps.DEFAULT_MAX_CONNECTIONS,
      description = "Most buyer connections open at once on the node; one more is closed as it is accepted "
          + "(default ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--max-connections-per-address", paramLabel = "N",
      defaultValue = "" + flashsale.region.transport.ConnectionCaps.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
      description = "Most of them from one client IP address (an IPv6 one by its /64); 0 none of its own, as behind a proxy or load balancer "
          + "that rewrites addresses every buyer shares one (default ${DEFAULT-VALUE}).")
  int maxConnectionsPerAddress;

  @Override
  public Integer call() throws IOException, InterruptedException {
    node.applyLogFormat();
    if (port < 0 || port > 65_535) throw new IllegalArgumentException("--port must be 0 to 65535, got " + port);
    if (metricsPort < 0 || metricsPort > 65_535) {
      throw new IllegalArgumentException("--metrics-port must be 0 (off) to 65535, got " + metricsPort);
    }
    // NaN passes every comparison and infinity refills at once: either would turn the limit off unsaid.
    if (!(userRate >= 0 && Double.isFinite(userRate))) {
      throw new IllegalArgumentException("--user-rate must be 0 (off) or a positive number, got " + userRate);
    }
    if (!(addressRate >= 0 && Double.isFinite(addressRate))) {
      throw new IllegalArgumentException("--address-rate must be 0 (off) or a positive number, got " + addressRate);
    }
    var listen = node.listenAddress(port);
    // Bound before the node starts, so a taken metrics port fails the start, not a running node.
    MetricsEndpoint metricsEndpoint = metricsPort > 0 ? MetricsEndpoint.start(node.listenAddress(metricsPort)) : null;
    RegionConfig config = RegionConfig.builder(region)
        .nodeId(nodeId)
        .partitions(partitions)
        .arbiterTargets(arbiters)
        .heartbeatIntervalMs(heartbeatIntervalMs)
        .maxPending(maxPending)
        .rememberedDecisions(rememberedDecisions)
        .maxArbiterQueries(maxArbiterQueries)
        .eventViewMaxAgeMs(eventViewMaxAgeMs)
        .clockProbeIntervalMs(clockProbeIntervalMs)
        .warmupPurchases(warmupPurchases)
        .shutdownDrainMs(shutdownDrainMs)
        .uncertainty(new StampUncertainty(clockErrorBoundMicros, stampBoundMicros, StampUncertainty.DEFAULT_DRIFT_PPM))
        .arbiterSilenceTimeoutMs(arbiterSilenceTimeoutMs)
        .buyerLimits(new BuyerLimits.Settings(userRate, userBurst, addressRate, addressBurst, maxPendingPerUser,
            rateLimitKeys))
        .serverLimits(serverLimits.resolve(ServerLimits.regionDefaults()))
        .requestArrivalTimeoutMs(requestArrivalTimeoutMs)
        .connectionCaps(new flashsale.region.transport.ConnectionCaps(maxConnections, maxConnectionsPerAddress))
        .build();
    String problem = security.problem();
    if (problem == null && redisReplicaAcks < 0) problem = "--redis-replica-acks must be >= 0, got " + redisReplicaAcks;
    if (problem == null && redisReplicaWaitMs < 1) problem = "--redis-replica-wait-ms must be >= 1, got " + redisReplicaWaitMs;
    if (problem == null && redisReplicaAcks > 0 && centralRedis == null && shardRedis == null) {
      problem = "--redis-replica-acks " + redisReplicaAcks + " needs --central-redis or --redis: GLOBAL_ORDER decisions "
          + "are stored by the arbiter (give it --redis-replica-acks)";
    }
    if (problem != null) throw new IllegalArgumentException(problem);
    flashsale.store.redis.RedisClients.trustCa(redisCa);
    TlsFiles.Loaded linkTls = security.linkTls();
    String identityProblem = linkTls == null ? null : LinkSecurityOptions.identityProblem(linkTls.workloadId(), region);
    if (identityProblem != null) {
      linkTls.close();
      throw new IllegalArgumentException(identityProblem);
    }
    TlsFiles.Loaded buyerTls = security.buyerTls();
    ArbiterChannels channels = linkTls == null ? ArbiterChannels.forTargets(arbiters)
        : ArbiterChannels.forTargets(arbiters, linkTls.channelTo(flashsale.credentials.Role.ARBITER));
    if (linkTls != null) {
      linkTls.onCaRemoved(() -> channels.reopenAll("a CA was taken out of the --link-ca file: the arbiters' certificates are checked "
          + "again by new handshakes"));
      linkTls.onIdentityChanged(() -> channels.renewAll("this node's --link-cert was renewed: new connections present "
          + "it (an arbiter cuts a connection once the certificate of its handshake expires)"));
    }
    RegionServer server = RegionServer.onAddress(listen, config, InstantSource.system(), channels,
        ModesConfig.none().withCentralRedis(centralRedis).withShardRedis(shardRedis)
            .withReplicaAcks(new ReplicaAcks(redisReplicaAcks, java.time.Duration.ofMillis(redisReplicaWaitMs))),
        LinkSecurityOptions.serverCredentials(buyerTls));
    if (linkTls != null) flashsale.metrics.TlsGauges.bind(server.metrics(), "link", linkTls);
    if (buyerTls != null) flashsale.metrics.TlsGauges.bind(server.metrics(), "buyers", buyerTls);
    if (metricsEndpoint != null) metricsEndpoint.serve(server.metrics(), server::serving);
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      server.stop();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "region-shutdown"));
    server.blockUntilShutdown();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command; bad flags and startup failures print one line to {@code err}. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return NodeCommandLine.run(new RegionMain(), args, out, err);
  }
}
