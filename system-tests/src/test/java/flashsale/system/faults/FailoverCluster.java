package flashsale.system.faults;

import flashsale.client.cluster.DevPki;
import flashsale.region.RegionConfig;
import flashsale.region.RegionServer;
import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.modes.ModesConfig;
import flashsale.credentials.Role;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisCluster;
import flashsale.store.testing.RedisServer;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.wire.Errors;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the failover fault tests run on: two arbiter processes on one AOF Redis with the leader
 * lease, and regions east and west in this JVM that know both arbiters, everything over mutual
 * TLS as deployed (regions and the operator prove who they are by certificate).
 */
final class FailoverCluster implements AutoCloseable {
  /** The single AOF Redis or the 3-master Redis Cluster, closed with the cluster. */
  private final AutoCloseable redis;
  /** What the arbiters are given: {@code redis://} or {@code redis-cluster://} with every master. */
  final String redisUri;
  final RedisArbiterStore store;
  final DevPki pki;
  final List<ArbiterProcess> arbiters = new ArrayList<>();
  final Map<String, RegionServer> regions = new LinkedHashMap<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  private FailoverCluster(AutoCloseable redis, String redisUri, DevPki pki) {
    this.redis = redis;
    this.redisUri = redisUri;
    this.store = new RedisArbiterStore(redisUri);
    this.pki = pki;
  }

  /** Starts arbiters {@code arbiterIds}, waits for a leader, then starts the regions. */
  static FailoverCluster start(List<String> arbiterIds, String pkiDirectory) throws Exception {
    return start(arbiterIds, pkiDirectory, 1);
  }

  /**
   * As above with leadership split into {@code partitions} (on arbiters and regions alike); with
   * several, waits until every partition has a leader and the arbiters hold even shares.
   */
  static FailoverCluster start(List<String> arbiterIds, String pkiDirectory, int partitions) throws Exception {
    DevPki pki = pki(pkiDirectory);
    RedisServer redis = RedisServer.start(true);
    return start(new FailoverCluster(redis, redis.uri(), pki), arbiterIds, partitions);
  }

  /** As above on a 3-master Redis Cluster: store, function library and partition leases spread over the masters. */
  static FailoverCluster startOnRedisCluster(List<String> arbiterIds, String pkiDirectory, int partitions)
      throws Exception {
    DevPki pki = pki(pkiDirectory);
    RedisCluster redis = RedisCluster.start();
    return start(new FailoverCluster(redis, redis.uri(), pki), arbiterIds, partitions);
  }

  private static DevPki pki(String directory) throws java.io.IOException {
    return DevPki.create(Path.of("target", "fault-logs", directory));
  }

  private static FailoverCluster start(FailoverCluster cluster, List<String> arbiterIds, int partitions)
      throws Exception {
    for (String id : arbiterIds) {
      cluster.arbiters.add(new ArbiterProcess(id, cluster.redisUri, ArbiterProcess.REGION_TIMEOUT_MS, cluster.pki)
          .partitions(partitions).start());
    }
    if (partitions == 1) {
      cluster.awaitLeader(30_000);
    } else {
      int share = (partitions + arbiterIds.size() - 1) / arbiterIds.size();
      cluster.awaitPartitionLeaders(partitions, view -> view.countsByLeader().size() == arbiterIds.size()
          && view.countsByLeader().values().stream().allMatch(n -> n <= share), 30_000);
      // No single node answers for everything here: wait until each answers at all (a cold JVM's
      // first TLS handshakes take seconds on a loaded box, longer than the regions' silence timeout).
      for (ArbiterProcess a : cluster.arbiters) cluster.awaitAnswering(a, 30_000);
    }
    for (String region : List.of("east", "west")) {
      RegionConfig config = RegionConfig.builder(region).arbiterTargets(cluster.arbiters.stream().map(ArbiterProcess::address).toList())
          .heartbeatIntervalMs(2).reconnectMs(20, 500).maxPending(1_000_000).partitions(partitions)
          .arbiterSilenceTimeoutMs(ArbiterProcess.LEASE_TTL_MS).build();
      // Each region proves its name to the arbiters with its certificate, as in production.
      ArbiterChannels link = ArbiterChannels.forTargets(config.arbiterTargets(), cluster.pki.credentials(Role.REGION, region));
      cluster.regions.put(region, RegionServer.onPort(0, config, InstantSource.system(), link, ModesConfig.none()).start());
    }
    // A test's first burst must find the regions serving: a cold arbiter's first TLS handshakes and
    // welcomes can outlast the regions' 1 s silence timeout several times over on a loaded box (CI
    // once sent a whole burst into regions still reconnecting: every purchase refused).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (var region : cluster.regions.entrySet()) {
      while (!region.getValue().serving() && System.nanoTime() < deadline) Thread.sleep(20);
      if (!region.getValue().serving()) throw new AssertionError("region " + region.getKey() + " not serving in 60 s");
    }
    return cluster;
  }

  /** A channel closed with the cluster. */
  ManagedChannel channel(String target, ChannelCredentials credentials) {
    ManagedChannel c = Grpc.newChannelBuilder(target, credentials).build();
    synchronized (channels) {
      channels.add(c);
    }
    return c;
  }

  /**
   * A new operator's mutual-TLS channel to an arbiter, with the admin role (new each time: a
   * channel to a killed node would sit in reconnect backoff after it restarts).
   */
  ManagedChannel adminChannel(ArbiterProcess a) {
    return channel(a.address(), pki.credentials(Role.ADMIN, "ops"));
  }

  EventAdminServiceGrpc.EventAdminServiceBlockingStub admin(ArbiterProcess a) {
    return EventAdminServiceGrpc.newBlockingStub(adminChannel(a)).withDeadlineAfter(2, TimeUnit.SECONDS);
  }

  boolean leads(ArbiterProcess a) {
    try {
      admin(a).listRegions(ListRegionsRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  /** The node that answers admin calls (the leader, rebuilt); polls until one does. */
  ArbiterProcess awaitLeader(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      for (ArbiterProcess a : arbiters) {
        if (a.alive() && leads(a)) return a;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no arbiter leads after " + timeoutMs + " ms");
  }

  /**
   * Polls the partition leases in Redis until every one of {@code partitions} has a leader and
   * {@code settled} holds; returns that view.
   */
  PartitionLeases.View awaitPartitionLeaders(int partitions, java.util.function.Predicate<PartitionLeases.View> settled,
      long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    PartitionLeases.View view = null;
    try (var redis = PartitionLeases.connect(redisUri)) {
      while (System.nanoTime() < deadline) {
        view = PartitionLeases.read(redis, partitions);
        if (view.allLed() && settled.test(view)) return view;
        Thread.sleep(20);
      }
    }
    throw new AssertionError("partition leases did not settle in " + timeoutMs + " ms: " + view);
  }

  /** Waits until {@code a} answers an admin call, as leader of partition 0 or naming its leader. */
  void awaitAnswering(ArbiterProcess a, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      try {
        admin(a).listRegions(ListRegionsRequest.getDefaultInstance());
        return;
      } catch (StatusRuntimeException e) {
        if (Errors.reasonOf(e).orElse("").equals("NOT_LEADER")) return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(a.nodeId + " does not answer after " + timeoutMs + " ms");
  }

  /** Waits until {@code a} runs and answers as a standby (NOT_LEADER), so it can take over. */
  void awaitStandby(ArbiterProcess a, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      try {
        admin(a).listRegions(ListRegionsRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        if (Errors.reasonOf(e).orElse("").equals("NOT_LEADER")) return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(a.nodeId + " is not up as a standby after " + timeoutMs + " ms");
  }

  ArbiterProcess other(ArbiterProcess a) {
    return arbiters.get(0) == a ? arbiters.get(1) : arbiters.get(0);
  }

  @Override
  public void close() throws Exception {
    synchronized (channels) {
      channels.forEach(ManagedChannel::shutdownNow);
    }
    for (RegionServer r : regions.values()) r.stop();
    for (ArbiterProcess a : arbiters) a.close();
    store.close();
    redis.close();
  }
}
