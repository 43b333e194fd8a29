package flashsale.arbiter;

import flashsale.arbiter.cluster.LeaseSettings;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.cluster.RedisLeaderLease;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.store.ArbiterStores;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import flashsale.metrics.MetricsEndpoint;
import flashsale.ops.NodeCommandLine;
import flashsale.ops.NodeOptions;
import flashsale.ops.NodeVersion;
import flashsale.security.ServerSecurityOptions;
import flashsale.credentials.TlsFiles;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * Command line of the arbiter node. With {@code --redis} the node joins the arbiter cluster on that
 * Redis: it leads only while it holds the lease, and stands by otherwise.
 */
@Command(
    name = "arbiter-node",
    mixinStandardHelpOptions = true,
    versionProvider = NodeVersion.class,
    description = "Orders every region's stamped purchase tickets and decides them against stock.")
public final class ArbiterMain implements Callable<Integer> {
  @Mixin NodeOptions node;

  @Option(names = "--node-id", description = "Name of this arbiter in logs, the welcome message and the lease (default: ${DEFAULT-VALUE}).")
  String nodeId = "arbiter-1";

  @Option(names = "--port", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port = 9090;

  @Option(names = "--redis", description = "Redis URI, e.g. redis://127.0.0.1:6379, or a Redis Cluster's seeds, e.g. redis-cluster://10.0.0.1:7000,10.0.0.2:7000: shared store and leader lease. Without it the store is in memory, dies with the process, and this node leads alone.")
  String redisUri;

  @Option(names = "--advertise", paramLabel = "HOST:PORT", description = "Address regions use to reach this node; standbys send regions here while it leads (default: 127.0.0.1:<port>).")
  String advertise;

  @Option(names = "--lease-ttl-ms", description = "Leader lease lifetime after each renewal (default: ${DEFAULT-VALUE}).")
  long leaseTtlMs = LeaseSettings.defaults().ttlMs();

  @Option(names = "--lease-renew-ms", description = "Lease renewal / acquisition attempt interval (default: ${DEFAULT-VALUE}).")
  long leaseRenewMs = LeaseSettings.defaults().renewIntervalMs();

  @Option(names = "--partitions", description = "Split leadership into this many partitions of events, each with its own lease and fencing epoch, spread evenly over the live arbiters; region nodes must use the same count. 1 is a single leader (default: ${DEFAULT-VALUE}).")
  int partitions = 1;

  @Option(names = "--region-timeout-ms", description = "A region silent this long is left out of the frontier so the others keep selling; 0 waits forever (default: ${DEFAULT-VALUE}).")
  long regionTimeoutMs = 2_000;

  @Option(names = "--region-stream-unread-limit-ms", description = "A region node's stream that takes nothing more "
      + "(not ready at every send) this long is ended UNAVAILABLE; the node reconnects and resends what is undecided "
      + "(default: ${DEFAULT-VALUE}).")
  long regionStreamUnreadLimitMs = RegionSessions.UNREAD_LIMIT_MS;

  @Option(names = "--region-stream-unread-limit-bytes", description = "The same stream is ended sooner once this many "
      + "bytes (messages and their gRPC framing) were sent to it since it last took more (default: ${DEFAULT-VALUE}).")
  long regionStreamUnreadLimitBytes = RegionSessions.UNREAD_LIMIT_BYTES;

  @Option(names = "--max-clock-skew-ms", description = "A region whose clock is provably further off than this is not ranked (default: ${DEFAULT-VALUE}).")
  long maxClockSkewMs = 5;

  @Option(names = "--max-error-bound-us", description = "A ticket's stamp uncertainty (region clock error plus "
      + "stamping bound) is ranked as at most this; tickets of different regions within each other's "
      + "uncertainty are ordered by the event's lottery (default: ${DEFAULT-VALUE}).")
  long maxErrorBoundMicros = SequencerConfig.DEFAULT_MAX_ERROR_BOUND_MICROS;

  @Option(names = "--max-batch-size", description = "Most decisions persisted in one store call (default: ${DEFAULT-VALUE}).")
  int maxBatchSize = 1024;

  @Option(names = "--metrics-port", description = "Serve Prometheus metrics on http://0.0.0.0:PORT/metrics; 0 turns it off (default: ${DEFAULT-VALUE}).")
  int metricsPort = 0;

  @Option(names = "--shard-redis", paramLabel = "REGION=URI",
      description = "A region's shard Redis, where SHARDED events' shards are opened at creation and rebalanced;"
          + " repeat per region (a SHARDED event with a region missing here is refused).")
  Map<String, String> shardRedis = Map.of();

  @Option(names = "--central-redis", paramLabel = "URI",
      description = "Redis of the CENTRAL pool, where CENTRAL events' pools are opened at creation and read for their"
          + " counters and decision log (default: the --redis store, where the design puts it; without either, CENTRAL"
          + " events are refused).")
  String centralRedis;

  @Option(names = "--redis-ca", paramLabel = "PEM", description = "CA certificates that sign Redis' certificate, for "
      + "rediss:// URIs (TLS, e.g. rediss://user:password@host:6380); default: the JDK's CAs.")
  java.nio.file.Path redisCa;

  @Option(names = "--redis-replica-acks", paramLabel = "N", description = "Replicas of the Redis primary that must hold a "
      + "write (Redis WAIT) before the decisions, auction results, events and order changes in it are told, and before "
      + "an acquired lease epoch is led under (also for the shard stores' transfer steps and the central pool's view): a "
      + "primary that dies after answering then loses nothing told. 0 waits for none: Redis replicates asynchronously "
      + "(default: ${DEFAULT-VALUE}).")
  int redisReplicaAcks = 0;

  @Option(names = "--redis-replica-wait-ms", description = "How long one such wait may take; a write not acknowledged "
      + "by then is retried, and nothing in it is told meanwhile (default: ${DEFAULT-VALUE}).")
  long redisReplicaWaitMs = 500;

  @Option(names = "--admin-events-per-minute", description = "Events each admin identity may create per minute; "
      + "beyond, RESOURCE_EXHAUSTED RATE_LIMITED with a retry delay; 0 turns the quota off (default ${DEFAULT-VALUE}).")
  double adminEventsPerMinute = flashsale.arbiter.grpc.AdminEventQuota.DEFAULT_PER_MINUTE;

  @Option(names = "--admin-events-burst", description = "How many of those at once (default ${DEFAULT-VALUE}).")
  int adminEventsBurst = flashsale.arbiter.grpc.AdminEventQuota.DEFAULT_BURST;

  @Option(names = "--finished-event-retention-hours", description = "A finished event's records in Redis (every "
      + "decision, its log, orders, waitlist and outbox, and its CENTRAL or SHARDED pools on the same Redis) expire "
      + "this long after it finished, so Redis does not grow with every sale; 0 keeps them for good (default: ${DEFAULT-VALUE}).")
  long finishedEventRetentionHours = 168;

  @Mixin ServerSecurityOptions security = new ServerSecurityOptions();

  @Spec CommandSpec spec;

  @CommandLine.Mixin
  flashsale.net.ServerLimitsOptions serverLimits = new flashsale.net.ServerLimitsOptions();

  @Override
  public Integer call() throws Exception {
    node.applyLogFormat();
    String problem = security.problem();
    if (problem == null && (partitions < 1 || partitions > flashsale.sale.Partitions.MAX)) {
      problem = "--partitions must be 1.." + flashsale.sale.Partitions.MAX + ", got " + partitions;
    }
    if (problem == null && partitions > 1 && redisUri == null) {
      problem = "--partitions " + partitions + " needs --redis: the partition leases live there";
    }
    if (problem == null && regionStreamUnreadLimitMs < 1) {
      problem = "--region-stream-unread-limit-ms must be >= 1, got " + regionStreamUnreadLimitMs;
    }
    if (problem == null && regionStreamUnreadLimitBytes < 1) {
      problem = "--region-stream-unread-limit-bytes must be >= 1, got " + regionStreamUnreadLimitBytes;
    }
    if (problem == null && (metricsPort < 0 || metricsPort > 65_535)) {
      problem = "--metrics-port must be 0 (off) to 65535, got " + metricsPort;
    }
    // NaN passes every comparison and infinity refills at once: either would turn the quota off unsaid.
    if (problem == null && !(adminEventsPerMinute >= 0 && Double.isFinite(adminEventsPerMinute))) {
      problem = "--admin-events-per-minute must be 0 (off) or a positive number, got " + adminEventsPerMinute;
    }
    if (problem == null && adminEventsPerMinute > 0 && adminEventsPerMinute < 0.001) {
      problem = "--admin-events-per-minute must be 0 (off) or at least 0.001 (one a day is 0.0007: use 0.001), got "
          + adminEventsPerMinute;
    }
    if (problem == null && adminEventsBurst < 1) problem = "--admin-events-burst must be >= 1, got " + adminEventsBurst;
    if (problem == null && (finishedEventRetentionHours < 0 || finishedEventRetentionHours > 876_000)) {
      problem = "--finished-event-retention-hours must be 0 (kept for good) to 876000 (100 years), got "
          + finishedEventRetentionHours;
    }
    if (problem == null && redisReplicaAcks < 0) problem = "--redis-replica-acks must be >= 0, got " + redisReplicaAcks;
    if (problem == null && redisReplicaWaitMs < 1) problem = "--redis-replica-wait-ms must be >= 1, got " + redisReplicaWaitMs;
    if (problem == null && redisReplicaAcks > 0 && redisUri == null) {
      problem = "--redis-replica-acks " + redisReplicaAcks + " needs --redis: an in-memory store has no replicas";
    }
    if (problem == null && redisReplicaAcks > 0 && 2 * redisReplicaWaitMs > leaseTtlMs) {
      // A lease acquire's wait holds up the renewals on its connection: it must leave most of a ttl.
      problem = "--redis-replica-wait-ms " + redisReplicaWaitMs + " must be at most half of --lease-ttl-ms "
          + leaseTtlMs + ": an acquire waits for the replicas on the connection that renews the leases";
    }
    if (problem != null) throw new ParameterException(spec.commandLine(), problem);
    TlsFiles.Loaded tls = security.insecure() ? null : security.tlsFiles().load();
    flashsale.store.redis.RedisClients.trustCa(redisCa);
    var lease = new LeaseSettings(leaseTtlMs, leaseRenewMs);
    if (redisUri != null) {
      // Before anything is bound: arbiters of another count elect leaders on other keys.
      String conflict = flashsale.arbiter.cluster.PartitionLayout.claimAtStart(redisUri, partitions, lease);
      if (conflict != null) throw new IllegalStateException(conflict);
    }
    var listen = node.listenAddress(port);
    // Bound before the node starts, so a taken metrics port fails the start, not a running node.
    MetricsEndpoint metricsEndpoint = metricsPort > 0 ? MetricsEndpoint.start(node.listenAddress(metricsPort)) : null;
    var config = new ArbiterConfig(nodeId, port, redisUri, advertise == null ? "127.0.0.1:" + port : advertise,
        TimeUnit.MILLISECONDS.toMicros(maxClockSkewMs), maxBatchSize, 4 << 20,
        TimeUnit.MILLISECONDS.toMicros(regionTimeoutMs), lease, centralRedis == null ? redisUri : centralRedis,
        maxErrorBoundMicros, authenticator(tls), adminEventsPerMinute, adminEventsBurst, regionStreamUnreadLimitMs,
        regionStreamUnreadLimitBytes, flashsale.arbiter.core.SequencerConfig.DEFAULT_MAX_TICKET_AGE_MICROS);
    var split = new flashsale.sale.Partitions(partitions);
    String store = redisUri;
    var replicaAcks = new flashsale.store.ReplicaAcks(redisReplicaAcks, java.time.Duration.ofMillis(redisReplicaWaitMs));
    var arbiter = new ArbiterNode(
        config,
        // Client certificates are optional at the handshake: admins may bring a token instead; the
        // region role is only ever granted by a certificate (see ArbiterAccess).
        serverLimits.resolve(flashsale.net.ServerLimits.arbiterDefaults())
            .apply(tls == null ? NettyServerBuilder.forAddress(listen) : NettyServerBuilder.forAddress(listen, tls.server(false))),
        ArbiterStores.open(redisUri, replicaAcks, java.time.Duration.ofHours(finishedEventRetentionHours)),
        Clock.systemUTC(),
        split,
        redisUri == null ? null : split.count() == 1
            ? p -> new RedisLeaderLease(store, nodeId, config.advertise(), lease, replicaAcks)
            : RedisLeaderLease.partitionLeases(store, nodeId, config.advertise(), lease, replicaAcks),
        redisUri == null || split.count() == 1 ? null
            : new flashsale.arbiter.cluster.RedisArbiterRoster(redisUri, nodeId, lease, split.count()),
        ShardOptions.of(shardRedis).withReplicaAcks(replicaAcks));
    if (tls != null) flashsale.metrics.TlsGauges.bind(arbiter.metrics(), "server", tls);
    if (metricsEndpoint != null) metricsEndpoint.serve(arbiter.metrics(), arbiter::leading);
    try {
      arbiter.start();
    } catch (Exception e) {
      arbiter.stop();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(arbiter::stop, "arbiter-shutdown"));
    arbiter.blockUntilShutdown();
    return 0;
  }

  /**
   * The callers' checks for these flags (null with {@code --insecure}): certificates are checked
   * again against the CA file whenever it changes, so a connection or region stream opened under a
   * CA rotated out is refused from then on.
   */
  private flashsale.security.Authenticator authenticator(TlsFiles.Loaded tls) throws java.io.IOException {
    flashsale.security.Authenticator authenticator = security.authenticator();
    return authenticator == null || tls == null ? authenticator : authenticator.checkingChainsWith(tls);
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command; bad options and start-up failures print one line to {@code err}. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return NodeCommandLine.run(new ArbiterMain(), args, out, err);
  }
}
