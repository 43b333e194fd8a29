package flashsale.client.bench;

import flashsale.client.cluster.JarCluster;
import flashsale.client.cluster.TcpDelayProxy;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.ArbiterStores;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Global-order mode on one machine: an arbiter, a near region (0 ms) and a far region behind a
 * delayed link. After 5 s of unmeasured load (JIT), a steady rate into both regions compares
 * decision latency with the physical floor; then purchases go through the near region as fast as
 * a window of calls in flight allows.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = {
    "Throughput and decision latency of global-order mode.",
    "With --burst: fairness and speed under one burst against fresh node processes from the jars, cold then warm."})
public final class GlobalOrderBenchmark implements Callable<Integer> {

  @Option(names = "--burst", description = "Run the burst benchmark instead: --purchases within --window-ms against node processes started from the jars, cold and then warm.")
  boolean burst;

  @Option(names = "--purchases", description = "--burst: purchases in each burst, split between the regions (default: ${DEFAULT-VALUE}).")
  int burstPurchases = 20_000;

  @Option(names = "--window-ms", description = "--burst: the purchases reach the regions within this long (default: ${DEFAULT-VALUE}).")
  long burstWindowMs = 50;

  @Option(names = "--stock", description = "--burst: units for sale in each burst (default: ${DEFAULT-VALUE}).")
  long burstStock = 1_000;

  @Option(names = "--seed", description = "--burst: seed of the send offsets (default: ${DEFAULT-VALUE}).")
  long burstSeed = 42;

  @Option(names = "--arbiter-jar", description = "--burst: the arbiter's jar (default: ${DEFAULT-VALUE}).")
  java.nio.file.Path arbiterJar = java.nio.file.Path.of("arbiter-node/target/arbiter-node.jar");

  @Option(names = "--region-jar", description = "--burst: the region node's jar (default: ${DEFAULT-VALUE}).")
  java.nio.file.Path regionJar = java.nio.file.Path.of("region-node/target/region-node.jar");

  @Option(names = "--records", paramLabel = "PREFIX", description = "--burst: also write every purchase's record to PREFIX-cold.csv and PREFIX-warm.csv.")
  String recordsPrefix;

  @Option(names = "--streamed", description = "--burst: send each region's purchases as the messages of one StreamPurchases"
      + " stream instead of a Purchase call each (the no-op ceiling likewise).")
  boolean streamed;

  @Option(names = "--warm-bursts", description = "--burst: bursts after the cold one on the same processes (default:"
      + " ${DEFAULT-VALUE}); later ones show what is left once the JIT has compiled the whole path.")
  int warmBursts = 1;

  @Option(names = "--live-heap", description = "--burst: after each burst, have every node collect in full (jcmd GC.run)"
      + " before its heap is printed, so the figure is its live set: growth from sale to sale is then a leak.")
  boolean liveHeap;

  @Option(names = "--event-length-s", description = "--burst: each burst's event ends this long after it is created (default:"
      + " ${DEFAULT-VALUE}); the arbiter lets an ended event go after its finish grace (10 s), so with many bursts and a"
      + " short length the nodes' live heap shows whether a finished sale leaves anything behind.")
  long eventLengthSeconds = 600;

  @Option(names = "--log-dir", description = "--burst: where the nodes' output goes (default: ${DEFAULT-VALUE}).")
  java.nio.file.Path logDir = java.nio.file.Path.of("target/burst-logs");

  @Option(names = "--redis", description = "Redis URI for the arbiter's store; in-memory without it.")
  String redisUri;

  @Option(names = "--redis-replica-acks", paramLabel = "N", description = "As the arbiter's flag: replicas of the Redis "
      + "primary that must hold each batch before it is told (in-process nodes only; default: ${DEFAULT-VALUE}).")
  int redisReplicaAcks = 0;

  @Option(names = "--redis-replica-wait-ms", description = "As the arbiter's flag (default: ${DEFAULT-VALUE}).")
  long redisReplicaWaitMs = 500;

  @Option(names = "--far-delay-ms", description = "One-way delay between the far region and the arbiter (default: ${DEFAULT-VALUE}).")
  long farDelayMs = 30;

  @Option(names = "--duration-s", description = "Measured seconds of the throughput phase (default: ${DEFAULT-VALUE}).")
  int durationSeconds = 15;

  @Option(names = "--in-flight", description = "Calls in flight in the throughput phase (default: ${DEFAULT-VALUE}).")
  int inFlight = 4000;

  // 5 s left C2 compiling through the latency phase (a compiler thread at 44 % of a core of two,
  // top -H): near p99 105-1,600 ms. After 30 s it was 43-93 ms (4 runs).
  @Option(names = "--warmup-s", description = "Seconds of unmeasured load before the latency phase, so the JIT has"
      + " compiled the hot paths (default: ${DEFAULT-VALUE}).")
  int warmupSeconds = 30;

  @Option(names = "--latency-rate", description = "Purchases per second per region in the latency phase (default: ${DEFAULT-VALUE}).")
  int latencyRatePerSecond = 1000;

  @Option(names = "--heartbeat-ms", description = "Region watermark heartbeat interval (default: ${DEFAULT-VALUE}).")
  long heartbeatMs = 2;

  @Option(names = "--node-processes", description = "Run the warm-up and latency phases against an arbiter and regions"
      + " started from the jars (--arbiter-jar, --region-jar) with the launchers' JVM settings (arbiter G1, regions ZGC), as deployed; the"
      + " driver and the far link's delay stay in this JVM. The throughput phase, whose no-op ceiling runs in-process,"
      + " is left out.")
  boolean nodeProcesses;

  @Override
  public Integer call() throws Exception {
    if (redisReplicaAcks > 0 && (burst || nodeProcesses || redisUri == null)) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--redis-replica-acks needs --redis and applies to the in-process bench only (not --burst or --node-processes)");
    }
    if (burst) {
      new BurstBenchmark(new BurstBenchmark.Settings(burstPurchases, burstWindowMs, burstStock, farDelayMs, redisUri, arbiterJar,
          regionJar, logDir, burstSeed, recordsPrefix == null ? null : java.nio.file.Path.of(recordsPrefix), streamed, warmBursts, liveHeap, java.time.Duration.ofSeconds(eventLengthSeconds)),
          System.out).run();
      return 0;
    }
    if (nodeProcesses) {
      var settings = new JarCluster.Settings(arbiterJar, regionJar, farDelayMs, redisUri, logDir,
          List.of(), List.of(), List.of());
      try (var cluster = JarCluster.start(settings, Duration.ofSeconds(60))) {
        System.out.printf("setup: node processes from the jars (JVM options %s; logs in %s), store=%s, regions near (0 ms)"
            + " and far (%d ms one way), heartbeat 2 ms, %d cores; the driver in this JVM%n",
            JarCluster.describeJvmOptions(), logDir, redisUri == null ? "in-memory" : redisUri, farDelayMs,
            Runtime.getRuntime().availableProcessors());
        var nodes = new Nodes(cluster::adminChannel, "127.0.0.1:" + cluster.regionPort("near"),
            "127.0.0.1:" + cluster.regionPort("far"), JarCluster.REGIONS, cluster.farLink());
        warmUp(nodes);
        latency(nodes);
      }
      return 0;
    }
    var acks = new flashsale.store.ReplicaAcks(redisReplicaAcks, Duration.ofMillis(redisReplicaWaitMs));
    var store = ArbiterStores.open(redisUri, acks);
    var regions = List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", farDelayMs, Duration.ZERO));
    try (var cluster = LocalCluster.start(store, regions, heartbeatMs).awaitConnected(Duration.ofSeconds(30))) {
      System.out.printf(
          "setup: store=%s%s, regions near (0 ms) and far (%d ms one way), heartbeat %d ms, %d cores%n",
          redisUri == null ? "in-memory" : redisUri, acks.waits() ? " (each batch on " + acks.replicas() + " replica(s))" : "",
          farDelayMs, heartbeatMs, Runtime.getRuntime().availableProcessors());
      var nodes = new Nodes(() -> channel(cluster.arbiterTarget()), cluster.directRegionTarget("near"),
          cluster.directRegionTarget("far"), cluster.regionNames(), cluster.link("far"));
      warmUp(nodes);
      latency(nodes); // before the throughput phase, whose backlog would still be draining
      throughput(nodes);
    }
    return 0;
  }

  /**
   * Where a phase's calls go: the arbiter (for its event) and the regions' own ports, in-process or
   * not; and the far region's delayed link to the arbiter.
   */
  private record Nodes(java.util.function.Supplier<ManagedChannel> admin, String nearTarget, String farTarget,
      List<String> regions, TcpDelayProxy farLink) {}

  /**
   * An event open for {@code lifetime}: long enough for its phase with room to spare, short enough
   * that the next run on the same Redis does not load it as live.
   */
  private static String createEvent(Nodes nodes, String eventId, ManagedChannel admin, Duration lifetime) {
    long nowMicros = System.currentTimeMillis() * 1000;
    var event =
        Event.newBuilder()
            .setEventId(eventId)
            .setItem("benchmark item")
            .setStock(100_000_000)
            .setStartTime(Times.timestamp(nowMicros))
            .setEndTime(Times.timestamp(nowMicros + lifetime.toNanos() / 1000))
            .setPerUserLimit(1)
            .addAllRegions(nodes.regions())
            .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER);
    EventAdminServiceGrpc.newBlockingStub(admin)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("bench-" + eventId).setEvent(event).build());
    return eventId;
  }

  /** Channels to the arbiter and both regions for one phase, and that phase's event. */
  private record Phase(ManagedChannel admin, ManagedChannel near, ManagedChannel far, String eventId) implements AutoCloseable {
    static Phase start(Nodes nodes, String name, Duration lifetime) {
      ManagedChannel admin = nodes.admin().get();
      String eventId = createEvent(nodes, "bench-" + name + "-" + System.currentTimeMillis(), admin, lifetime);
      return new Phase(admin, channel(nodes.nearTarget()), channel(nodes.farTarget()), eventId);
    }

    CallDriver driver(boolean nearRegion, String prefix) {
      return CallDriver.purchases(nearRegion ? near : far, eventId, prefix);
    }

    @Override
    public void close() {
      admin.shutdownNow();
      near.shutdownNow();
      far.shutdownNow();
    }
  }

  /** Unmeasured load first, so the JIT has compiled the hot paths of every phase. */
  private void warmUp(Nodes nodes) throws InterruptedException {
    try (var phase = Phase.start(nodes, "warmup", Duration.ofSeconds(warmupSeconds + 60))) {
      var nearDriver = phase.driver(true, "wn");
      var farDriver = phase.driver(false, "wf");
      nearDriver.keepInFlight(1000);
      farDriver.keepInFlight(200);
      Thread.sleep(warmupSeconds * 1_000L);
      nearDriver.stop();
      farDriver.stop();
      Thread.sleep(500 + 4 * farDelayMs); // let the last answers drain
    }
  }

  /**
   * The no-op server's ceiling, the real region, and the ceiling again, with the same driver and
   * window in this process: the ratio, against the higher of the two ceilings (this JVM warms up
   * as it goes, so a ceiling taken only first would flatter the real path), is the figure that
   * holds from machine to machine.
   */
  private void throughput(Nodes nodes) throws Exception {
    double before = ceiling("ceiling before");
    double real;
    try (var phase = Phase.start(nodes, "throughput", Duration.ofSeconds(durationSeconds + 60))) {
      real = measure("throughput", "decided through region 'near'", phase.driver(true, "t"));
    }
    double after = ceiling("ceiling after");
    double ceiling = Math.max(before, after);
    System.out.printf("throughput ratio: %.2f of the no-op ceiling (%,.0f / %,.0f purchases/s, the higher of the ceilings"
        + " before and after it: %,.0f and %,.0f; same driver, same run)%n", real / ceiling, real, ceiling, before, after);
  }

  /** The no-op Purchase server's purchases/s through this run's driver and window. */
  private double ceiling(String label) throws Exception {
    try (var noop = NoopPurchaseServer.start()) { // the no-op answers any event: none is created for it
      ManagedChannel channel = channel(noop.target());
      try {
        return measure(label, "no-op Purchase server (same driver, answers at once)",
            CallDriver.purchases(channel, "bench-ceiling", "c"));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /** Keeps the window in flight through {@code driver}, settles 2 s, then measures; purchases/s. */
  private double measure(String label, String what, CallDriver driver) throws InterruptedException {
    var window = driver.measure(inFlight, 2_000, durationSeconds);
    System.out.printf(
        "%s: %,.0f purchases/s %s over %.1f s (%,d answered, %d failed, %d in flight); latency p50 %.1f ms, p99 %.1f ms%n",
        label, window.callsPerSecond(), what, window.seconds(), window.answered(), window.failed(), inFlight,
        window.p50Millis(), window.p99Millis());
    Thread.sleep(1_000); // the last answers drain before the next phase
    return window.callsPerSecond();
  }

  private void latency(Nodes nodes) throws InterruptedException {
    try (var phase = Phase.start(nodes, "latency", Duration.ofSeconds(70)); var gc = GcPauses.start();
        var hiccups = Hiccups.start()) {
      var nearHops = new LatencyHops();
      var nearDriver = phase.driver(true, "n").recordHops(nearHops);
      var farDriver = phase.driver(false, "f");
      long intervalNanos = 1_000_000_000L / latencyRatePerSecond;
      long seconds = 10; // the first 2 s settle the rate and are not measured
      long startNanos = System.nanoTime();
      long[] failedBefore = new long[2];
      for (long i = 0; i < seconds * latencyRatePerSecond; i++) {
        long waitNanos = startNanos + i * intervalNanos - System.nanoTime();
        if (waitNanos > 0) java.util.concurrent.locks.LockSupport.parkNanos(waitNanos);
        if (i == 2L * latencyRatePerSecond) {
          nearDriver.timeCallsDueFrom(startNanos + i * intervalNanos);
          farDriver.timeCallsDueFrom(startNanos + i * intervalNanos);
          nearDriver.takeLatencies();
          farDriver.takeLatencies();
          failedBefore[0] = nearDriver.failed();
          failedBefore[1] = farDriver.failed();
          nearHops.start();
          gc.restart();
          hiccups.restart();
          nodes.farLink().takeLatenessTowardTarget();
          nodes.farLink().takeLatenessBack();
        }
        long dueNanos = startNanos + i * intervalNanos;
        nearDriver.sendOne(dueNanos);
        farDriver.sendOne(dueNanos);
      }
      // The window's pauses: from the first measured send until the last sends' answers are due
      // (a round trip to the far region with room to spare), not through the drain after it.
      Thread.sleep(4 * farDelayMs);
      String pauses = gc.summary();
      String late = hiccups.summary();
      Histogram linkToArbiter = nodes.farLink().takeLatenessTowardTarget();
      Histogram linkBack = nodes.farLink().takeLatenessBack();
      Thread.sleep(1000);
      long measuredCalls = (seconds - 2) * latencyRatePerSecond;
      report("near", nearDriver.takeBothLatencies(), measuredCalls, nearDriver.failed() - failedBefore[0], farDelayMs);
      report("far", farDriver.takeBothLatencies(), measuredCalls, farDriver.failed() - failedBefore[1], 2 * farDelayMs);
      nearHops.report("near", 99, 30, System.out);
      // In-process, every node shares this JVM, so its pauses held them all; node processes have their own.
      System.out.printf("gc of this JVM in the measured window (until %d ms after the last send)%s: %s%n",
          4 * farDelayMs,
          nodeProcesses ? " (the driver's only; the nodes run in their own JVMs)" : " (the driver and every node)",
          pauses);
      System.out.printf("late wake-ups of a 1 ms timer in this JVM in the same window%s: %s%n",
          nodeProcesses ? " (the driver's only)" : "", late);
      System.out.printf(Locale.ROOT, "far link (the %d ms delay emulated in this JVM), ms its chunks left after their"
          + " delay in the same window, p50/p99/max: to the arbiter %s, back %s%n", farDelayMs, lateness(linkToArbiter),
          lateness(linkBack));
    }
  }

  private static String lateness(Histogram micros) {
    if (micros.getTotalCount() == 0) return "nothing sent";
    return String.format(Locale.ROOT, "%.2f/%.2f/%.2f", micros.getValueAtPercentile(50) / 1e3,
        micros.getValueAtPercentile(99) / 1e3, micros.getMaxValue() / 1e3);
  }

  /**
   * One region's latencies, from when each call was due ({@code both[0]}; the figure quoted) and,
   * beside it, from when it went out ({@code both[1]}); calls not answered in the window are named.
   */
  private void report(String region, Histogram[] both, long sent, long failed, long floorMs) {
    Histogram h = both[0];
    double p50 = h.getValueAtPercentile(50) / 1000.0;
    double p99 = h.getValueAtPercentile(99) / 1000.0;
    long unanswered = sent - h.getTotalCount() - failed;
    System.out.printf(
        "latency %-4s at %d/s per region: n=%,d p50 %.1f ms, p99 %.1f ms, max %.1f ms; physical floor %d ms -> p99 overhead %.1f ms"
            + " (from each call's due time; from its actual send p99 %.1f ms, max %.1f ms; of %,d sent %d failed, %d unanswered)%n",
        region, latencyRatePerSecond, h.getTotalCount(), p50, p99, h.getMaxValue() / 1000.0, floorMs, p99 - floorMs,
        both[1].getValueAtPercentile(99) / 1000.0, both[1].getMaxValue() / 1000.0, sent, failed, unanswered);
  }

  private static ManagedChannel channel(String target) {
    // callbacks only record and send the next call, so they run on the transport thread
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).directExecutor().build();
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new GlobalOrderBenchmark()).execute(args));
  }
}
