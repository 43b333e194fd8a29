package flashsale.client.bench;

import flashsale.client.cluster.JarCluster;
import flashsale.client.cluster.JavaRuntime;
import flashsale.client.cluster.ServingHealth;
import flashsale.net.FreePorts;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.RegionStatus;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One deployment of the scale benchmark, every part its own process started from the jars (in
 * development mode, {@code --insecure}): {@code arbiters} arbiters sharing one Redis or a Redis
 * Cluster (and its leader lease), and {@code regionNodes} nodes of region {@code east}, each given
 * every arbiter's address. Components are named so {@link #cpuNanos} can say where CPU went.
 */
final class ScaleLayout implements AutoCloseable {
  static final String REGION = "east";

  /**
   * @param clusterMasters 0 for one plain redis-server, else the masters of a Redis Cluster
   * @param partitions leadership partitions ({@code --partitions} on every node)
   */
  record Shape(String name, int arbiters, int regionNodes, int clusterMasters, int partitions) {
    String describe() {
      return arbiters + " arbiter" + (arbiters > 1 ? "s" : "") + " + " + regionNodes + " region node" + (regionNodes > 1 ? "s" : "")
          + " + " + (clusterMasters == 0 ? "1 redis-server" : clusterMasters + "-master Redis Cluster")
          + (partitions > 1 ? ", leadership in " + partitions + " partitions" : "");
    }
  }

  private final Shape shape;
  private final Path logDir;
  private final Map<String, Process> components = new LinkedHashMap<>();
  private final List<Integer> arbiterPorts = new ArrayList<>();
  private final List<Integer> regionPorts = new ArrayList<>();
  private BenchRedis redis;

  private ScaleLayout(Shape shape, Path logDir) {
    this.shape = shape;
    this.logDir = logDir;
  }

  static ScaleLayout start(Shape shape, Path arbiterJar, Path regionJar, Path logDir, Duration timeout)
      throws IOException, InterruptedException {
    var layout = new ScaleLayout(shape, logDir);
    try {
      layout.startAll(arbiterJar, regionJar, timeout);
      return layout;
    } catch (IOException | InterruptedException | RuntimeException e) {
      layout.close();
      throw e;
    }
  }

  private void startAll(Path arbiterJar, Path regionJar, Duration timeout) throws IOException, InterruptedException {
    Files.createDirectories(logDir);
    boolean cluster = shape.clusterMasters() > 0;
    redis = BenchRedis.start(cluster ? shape.clusterMasters() : 1, cluster, logDir);
    List<Process> servers = redis.processes();
    for (int i = 0; i < servers.size(); i++) components.put("redis-" + (i + 1), servers.get(i));
    List<String> arbiterAddresses = new ArrayList<>();
    for (int i = 1; i <= shape.arbiters(); i++) {
      int port = FreePorts.pick();
      arbiterPorts.add(port);
      arbiterAddresses.add("127.0.0.1:" + port);
      launch(arbiterJar, JarCluster.ARBITER_JVM_OPTIONS, "arbiter-" + i, List.of("--node-id", "arbiter-" + i, "--port", Integer.toString(port),
          "--redis", redis.uri(), "--insecure", "--partitions", Integer.toString(shape.partitions())));
    }
    ManagedChannel leader = awaitLeader(timeout); // a region that connects too early would back off and start late
    try {
      for (int n = 1; n <= shape.regionNodes(); n++) {
        int port = FreePorts.pick();
        regionPorts.add(port);
        List<String> args = new ArrayList<>(List.of("--region", REGION, "--port", Integer.toString(port),
            "--arbiter", String.join(",", arbiterAddresses), "--heartbeat-interval-ms", "2", "--max-pending", "1000000",
            "--insecure", "--partitions", Integer.toString(shape.partitions())));
        if (shape.regionNodes() > 1) args.addAll(List.of("--node-id", REGION + "-" + n));
        launch(regionJar, JarCluster.REGION_JVM_OPTIONS, "region-" + REGION + "-" + n, args);
      }
      awaitRegionNodes(timeout);
      // Linked is not enough: a node still sending itself its warm-up purchases would bill them to the window.
      for (int port : regionPorts) {
        ServingHealth.await("127.0.0.1:" + port, System.nanoTime() + timeout.toNanos(),
            "region node 127.0.0.1:" + port + " (see " + logDir + ")", this::assertAlive);
      }
    } finally {
      leader.shutdownNow();
    }
  }

  private void launch(Path jar, List<String> roleJvmOptions, String name, List<String> args) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no jar at " + jar.toAbsolutePath() + ": build it with ./mvnw -B -DskipTests package");
    }
    List<String> command = new ArrayList<>(List.of(JavaRuntime.javaBinary().toString()));
    command.addAll(flashsale.client.cluster.JarCluster.jdkOptions()); // as the launchers: JDK options, then the role's
    command.addAll(roleJvmOptions);
    command.addAll(List.of("-jar", jar.toString()));
    command.addAll(args);
    components.put(name, new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve(name + ".log").toFile())).start());
  }

  /** The arbiter that answers an admin call once it leads (standbys refuse every call). */
  private ManagedChannel awaitLeader(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int port : arbiterPorts) {
        ManagedChannel channel = channel("127.0.0.1:" + port);
        try {
          EventAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
              .listRegions(ListRegionsRequest.getDefaultInstance());
          return channel;
        } catch (StatusRuntimeException notLeading) {
          channel.shutdownNow();
        }
      }
      assertAlive();
      if (System.nanoTime() > deadline) throw new IllegalStateException("no arbiter leads within " + timeout + "; see " + logDir);
      Thread.sleep(100);
    }
  }

  /**
   * Until every region node shows as connected at the arbiter that answers ListRegions (the
   * leader of partition 0, which may move while partitions spread over the arbiters).
   */
  private void awaitRegionNodes(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ManagedChannel> arbiters = arbiterPorts.stream().map(p -> channel("127.0.0.1:" + p)).toList();
    try {
      while (true) {
        assertAlive();
        for (ManagedChannel arbiter : arbiters) {
          try {
            List<RegionStatus> regions = EventAdminServiceGrpc.newBlockingStub(arbiter).withDeadlineAfter(1, TimeUnit.SECONDS)
                .listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList();
            if (regions.stream().filter(s -> s.getRegion().equals(REGION) && s.getConnected()).count() >= shape.regionNodes()) {
              return;
            }
          } catch (StatusRuntimeException notYet) {
            // still starting, or not the leader of partition 0
          }
        }
        if (System.nanoTime() > deadline) throw new IllegalStateException("region nodes not connected within " + timeout + "; see " + logDir);
        Thread.sleep(50);
      }
    } finally {
      arbiters.forEach(ManagedChannel::shutdownNow);
    }
  }

  private void assertAlive() {
    components.forEach((name, p) -> {
      if (!p.isAlive()) throw new IllegalStateException(name + " exited with " + p.exitValue() + "; see " + logDir);
    });
  }

  /**
   * Creates {@code event} at whichever arbiter leads its partition: every arbiter is asked in turn
   * until one takes it (a standby or a non-leader of the partition answers NOT_LEADER).
   */
  void createAtLeader(String eventId, Event event, Duration timeout) throws InterruptedException {
    var request = CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    StatusRuntimeException last = null;
    while (System.nanoTime() < deadline) {
      for (int port : arbiterPorts) {
        ManagedChannel channel = channel("127.0.0.1:" + port);
        try {
          EventAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).createEvent(request);
          return;
        } catch (StatusRuntimeException notHere) {
          last = notHere;
        } finally {
          channel.shutdownNow();
        }
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no arbiter took event " + eventId + " in " + timeout.toMillis() + " ms; last: " + last);
  }

  /** Where buyers connect: every region node, in order. */
  List<String> regionTargets() {
    return regionPorts.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  /** CPU time each component's process has used so far, by component name, in nanoseconds. */
  Map<String, Long> cpuNanos() {
    Map<String, Long> cpu = new LinkedHashMap<>();
    components.forEach((name, p) -> cpu.put(name, p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)));
    return cpu;
  }

  Shape shape() {
    return shape;
  }

  private static ManagedChannel channel(String target) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
  }

  @Override
  public void close() throws InterruptedException {
    // nodes first, newest first, so no node logs a lost Redis while it stops
    List<Process> nodes = components.entrySet().stream().filter(e -> !e.getKey().startsWith("redis-")).map(Map.Entry::getValue).toList();
    for (Process p : nodes.reversed()) p.destroy();
    for (Process p : nodes) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    }
    if (redis != null) redis.close();
  }
}
