package flashsale.client.cluster;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.region.RegionConfig;
import flashsale.region.core.StampUncertainty;
import flashsale.region.RegionServer;
import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.modes.ModesConfig;
import flashsale.store.ArbiterStore;
import flashsale.client.wire.WireLog;
import flashsale.client.wire.WireTap;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import flashsale.security.Authenticator;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An arbiter and region nodes on loopback ports in this process. Each region reaches the
 * arbiter through a {@link TcpDelayProxy} with its own one-way delay, and may run on a skewed
 * clock, so one machine can play a multi-region deployment. Buyers reach each region through a
 * zero-delay {@link WireTap} ({@link #regionTarget}), which logs when each purchase's bytes
 * reached the region: the ground truth the fairness report ranks by ({@link #wireLog}).
 */
public final class LocalCluster implements AutoCloseable {

  /**
   * One region to start: its one-way delay to the arbiter, its clock error, and how many nodes
   * serve it (each its own stream to the arbiter, named {@code <region>-1}, {@code <region>-2}, …,
   * all proving the same region with their certificates; buyers reach each through its own tap, as
   * an L4 load balancer would spread their connections).
   */
  public record RegionSpec(String region, long oneWayDelayMillis, Duration clockSkew, int nodes) {
    public RegionSpec {
      if (nodes < 1) throw new IllegalArgumentException("a region needs at least one node, got " + nodes);
    }

    /** A region served by one node. */
    public RegionSpec(String region, long oneWayDelayMillis, Duration clockSkew) {
      this(region, oneWayDelayMillis, clockSkew, 1);
    }
  }

  /**
   * Stores of the CENTRAL and SHARDED modes, as Redis ports on loopback. Each region reaches the
   * central Redis through a link with its own one-way delay (the central store sits beside the
   * arbiter); its shard Redis is local to it, and the arbiter reaches that through the delay.
   *
   * @param centralRedisPort 0 for none
   * @param shardRedisPorts region to its own Redis; regions left out sell no SHARDED events
   */
  public record ModeStores(int centralRedisPort, Map<String, Integer> shardRedisPorts) {
    public ModeStores {
      shardRedisPorts = Map.copyOf(shardRedisPorts);
    }

    public static ModeStores none() {
      return new ModeStores(0, Map.of());
    }
  }

  private final ArbiterNode arbiter;
  /** Each region's first node (its only one, unless its spec asks for more). */
  private final Map<String, RegionServer> regions = new LinkedHashMap<>();
  private final Map<String, List<RegionServer>> nodes = new LinkedHashMap<>();
  private final Map<String, List<WireTap>> nodeTaps = new LinkedHashMap<>();
  private final Map<String, TcpDelayProxy> links = new LinkedHashMap<>();
  private final Map<String, WireTap> taps = new LinkedHashMap<>();
  private final WireLog wireLog = new WireLog();
  private final List<TcpDelayProxy> storeLinks;
  private final ModeStores modeStores;

  /** The throw-away PKI when the arbiter link and admin API use mutual TLS; null when insecure. */
  private final DevPki pki;
  private final TlsFiles.Loaded arbiterTls;

  private LocalCluster(ArbiterNode arbiter, List<TcpDelayProxy> storeLinks, ModeStores modeStores, DevPki pki,
      TlsFiles.Loaded arbiterTls) {
    this.arbiter = arbiter;
    this.storeLinks = storeLinks;
    this.modeStores = modeStores;
    this.pki = pki;
    this.arbiterTls = arbiterTls;
  }

  /** Starts the arbiter on a free port with {@code store}, then each region behind its link. */
  public static LocalCluster start(ArbiterStore store, List<RegionSpec> specs, long heartbeatIntervalMs)
      throws IOException {
    return start(store, specs, heartbeatIntervalMs, ModeStores.none());
  }

  /** As above, with the stores of the CENTRAL and SHARDED modes wired in. */
  public static LocalCluster start(ArbiterStore store, List<RegionSpec> specs, long heartbeatIntervalMs,
      ModeStores modes) throws IOException {
    return start(store, specs, heartbeatIntervalMs, modes, null);
  }

  /**
   * As above; with {@code pki}, as a deployment runs: the arbiter takes only mutual TLS, each
   * region proves its name with its certificate, and {@link #adminChannel} holds an admin
   * certificate. Buyers still reach the regions in plain text, through the wire taps (a load
   * balancer in front of a region terminates buyers' TLS the same way).
   */
  public static LocalCluster start(ArbiterStore store, List<RegionSpec> specs, long heartbeatIntervalMs,
      ModeStores modes, DevPki pki) throws IOException {
    List<TcpDelayProxy> storeLinks = new ArrayList<>();
    Map<String, String> shardUris = new LinkedHashMap<>();
    for (RegionSpec spec : specs) {
      Integer port = modes.shardRedisPorts().get(spec.region());
      if (port != null) shardUris.put(spec.region(), delayedRedis(port, spec, storeLinks));
    }
    // The arbiter sits beside the central store, so it reads the pool without a delay.
    var arbiterConfig = ArbiterConfig.defaults().withPort(0);
    if (modes.centralRedisPort() != 0) {
      arbiterConfig = arbiterConfig.withCentralRedis("redis://127.0.0.1:" + modes.centralRedisPort());
    }
    TlsFiles.Loaded arbiterTls = null;
    ServerCredentials arbiterCredentials = InsecureServerCredentials.create();
    if (pki != null) {
      DevCertificates.Issued own = pki.certificate(Role.ARBITER, arbiterConfig.arbiterId());
      arbiterTls = new TlsFiles(own.certificate(), own.privateKey(), own.trustedCa(), null).load();
      arbiterCredentials = arbiterTls.server(true);
      arbiterConfig = arbiterConfig.withAuthenticator(Authenticator.certificatesOnly(DevPki.TRUST_DOMAIN));
    }
    var arbiter =
        new ArbiterNode(
                arbiterConfig,
                Grpc.newServerBuilderForPort(0, arbiterCredentials),
                store,
                Clock.systemUTC(),
                ShardOptions.of(shardUris))
            .start();
    if (arbiterTls != null) flashsale.metrics.TlsGauges.bind(arbiter.metrics(), "server", arbiterTls);
    var cluster = new LocalCluster(arbiter, storeLinks, modes, pki, arbiterTls);
    try {
      for (RegionSpec spec : specs) cluster.addRegion(spec, heartbeatIntervalMs);
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private static String delayedRedis(int redisPort, RegionSpec spec, List<TcpDelayProxy> storeLinks) throws IOException {
    var link = new TcpDelayProxy(redisPort, spec.oneWayDelayMillis());
    storeLinks.add(link);
    return "redis://" + link.address();
  }

  private ModesConfig modesConfig(RegionSpec spec) throws IOException {
    ModesConfig config = ModesConfig.none();
    if (modeStores.centralRedisPort() != 0) {
      config = config.withCentralRedis(delayedRedis(modeStores.centralRedisPort(), spec, storeLinks));
    }
    Integer shardPort = modeStores.shardRedisPorts().get(spec.region());
    return shardPort == null ? config : config.withShardRedis("redis://127.0.0.1:" + shardPort);
  }

  private void addRegion(RegionSpec spec, long heartbeatIntervalMs) throws IOException {
    String arbiterAddress = "127.0.0.1:" + arbiter.port();
    if (spec.oneWayDelayMillis() > 0) { // a zero-delay link needs no proxy and its CPU
      var link = new TcpDelayProxy(arbiter.port(), spec.oneWayDelayMillis());
      links.put(spec.region(), link);
      arbiterAddress = link.address();
    }
    for (int n = 1; n <= spec.nodes(); n++) {
      addNode(spec, heartbeatIntervalMs, arbiterAddress, spec.nodes() == 1 ? "" : spec.region() + "-" + n);
    }
  }

  /** One node of a region; {@code nodeId} empty derives host:port. Every node shares the region's link and clock. */
  private void addNode(RegionSpec spec, long heartbeatIntervalMs, String arbiterAddress, String nodeId)
      throws IOException {
    // Every node of a region proves the same region name with its certificate.
    ManagedChannel channel =
        Grpc.newChannelBuilder(arbiterAddress, pki == null ? InsecureChannelCredentials.create()
                : pki.credentials(Role.REGION, spec.region()))
            .maxInboundMessageSize(ArbiterChannels.MAX_INBOUND_BYTES)
            .build();
    // The regions share one JVM, so each warms a quarter of a lone node's share.
    var config = RegionConfig.builder(spec.region()).nodeId(nodeId).heartbeatIntervalMs(heartbeatIntervalMs).maxPending(1_000_000)
        .warmupPurchases(RegionConfig.DEFAULT_WARMUP_PURCHASES / 4)
        // One host, one clock: the only clock error is the skew this cluster injects.
        .uncertainty(new StampUncertainty(Math.abs(spec.clockSkew().toNanos() / 1_000),
            StampUncertainty.DEFAULT_STAMP_BOUND_MICROS, StampUncertainty.DEFAULT_DRIFT_PPM))
        .build();
    InstantSource clock = InstantSource.offset(Clock.systemUTC(), spec.clockSkew());
    var server = RegionServer.onPort(0, config, clock, ArbiterChannels.of(channel), modesConfig(spec)).start();
    WireTap tap = new WireTap(server.port(), wireLog);
    regions.putIfAbsent(spec.region(), server);
    taps.putIfAbsent(spec.region(), tap);
    nodes.computeIfAbsent(spec.region(), r -> new ArrayList<>()).add(server);
    nodeTaps.computeIfAbsent(spec.region(), r -> new ArrayList<>()).add(tap);
  }

  /** Waits until every region has warmed its purchase path and holds an open stream to the arbiter. */
  public LocalCluster awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!nodes.values().stream().flatMap(List::stream).allMatch(r -> r.arbiterConnected() && r.warm())) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("regions not connected within " + timeout);
      Thread.sleep(10);
    }
    return this;
  }

  /**
   * Waits until every region says SERVING on gRPC health: warm (a node on a port first drives
   * purchases through itself; a burst meanwhile would measure that warm-up) and linked with a
   * clock in bounds. For harnesses that measure; a region with a flagged clock never gets there.
   */
  public LocalCluster awaitServing(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (RegionServer node : nodes.values().stream().flatMap(List::stream).toList()) {
      ServingHealth.await("127.0.0.1:" + node.port(), deadline, "region " + node.region());
    }
    return this;
  }

  public String arbiterTarget() {
    return "127.0.0.1:" + arbiter.port();
  }

  /** A channel to the arbiter as an admin: with an admin certificate when the cluster is secure. */
  public ManagedChannel adminChannel() {
    return Grpc.newChannelBuilder(arbiterTarget(), pki == null ? InsecureChannelCredentials.create()
        : pki.credentials(Role.ADMIN, "local-admin")).build();
  }

  /** The throw-away CA of a secure cluster (its nodes' and clients' certificates); null when insecure. */
  public DevPki pki() {
    return pki;
  }

  /** True when the arbiter takes only mutual TLS. */
  public boolean secure() {
    return pki != null;
  }

  /**
   * Where buyers of each node of {@code region} connect: one wire tap per node, in node order; a
   * load balancer in front of the region would spread connections over them.
   */
  public List<String> regionTargets(String region) {
    List<WireTap> all = nodeTaps.get(region);
    if (all == null) throw new IllegalArgumentException("no region " + region);
    return all.stream().map(WireTap::address).toList();
  }

  /** Every node of {@code region}, in node order. */
  public List<RegionServer> nodes(String region) {
    return List.copyOf(nodes.getOrDefault(region, List.of()));
  }

  /** Where buyers of {@code region} connect: its (first node's) wire tap, which forwards to the node at once. */
  public String regionTarget(String region) {
    WireTap tap = taps.get(region);
    if (tap == null) throw new IllegalArgumentException("no region " + region);
    return tap.address();
  }

  /** The region node's own port, bypassing its tap (for benchmarks that do not judge fairness). */
  public String directRegionTarget(String region) {
    RegionServer server = regions.get(region);
    if (server == null) throw new IllegalArgumentException("no region " + region);
    return "127.0.0.1:" + server.port();
  }

  /** When each purchase sent through {@link #regionTarget} reached its region, by request_id. */
  public WireLog wireLog() {
    return wireLog;
  }

  public List<String> regionNames() {
    return List.copyOf(regions.keySet());
  }

  /** The delayed link of a region started with a positive delay. */
  public TcpDelayProxy link(String region) {
    TcpDelayProxy link = links.get(region);
    if (link == null) throw new IllegalArgumentException("region " + region + " has no delayed link");
    return link;
  }

  public RegionServer region(String region) {
    return regions.get(region);
  }

  public ArbiterNode arbiter() {
    return arbiter;
  }

  @Override
  public void close() {
    List<RuntimeException> failures = new ArrayList<>();
    for (RegionServer r : nodes.values().stream().flatMap(List::stream).toList()) {
      try {
        r.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    nodeTaps.values().forEach(list -> list.forEach(WireTap::close));
    links.values().forEach(TcpDelayProxy::close);
    arbiter.stop();
    if (arbiterTls != null) arbiterTls.close();
    storeLinks.forEach(TcpDelayProxy::close);
    if (!failures.isEmpty()) throw failures.get(0);
  }
}
