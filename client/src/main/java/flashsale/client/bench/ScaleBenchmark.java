package flashsale.client.bench;

import flashsale.client.bench.ScaleLayout.Shape;
import flashsale.client.cluster.JarCluster;
import flashsale.sale.Partitions;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 12's scale benchmark: 1 arbiter + 1 region node + 1 redis-server, then 2 arbiters + 2
 * nodes of the same region + a 3-master Redis Cluster, in one run, one layout after the other,
 * each driven by the same closed loop (calls kept in flight, spread over the region nodes and over
 * events whose keys sit on different cluster masters). Prints decided purchases/s of each, their
 * ratio, and each process's CPU per decision over the measured window.
 */
@Command(name = "bench-scale", mixinStandardHelpOptions = true,
    description = "Decided purchases/s and CPU per decision: 1 arbiter + 1 region node + 1 Redis against 2 arbiters + 2 region nodes + a 3-master Redis Cluster.")
public final class ScaleBenchmark implements Callable<Integer> {
  static final Shape SMALL = new Shape("small", 1, 1, 0, 1);
  /** Leadership split in two: each arbiter leads one partition, so both decide. */
  static final Shape BIG = new Shape("big", 2, 2, 3, 2);
  private static final int CLUSTER_MASTERS = 3;

  @Option(names = "--duration-s", description = "Measured seconds per layout (default: ${DEFAULT-VALUE}).")
  int durationSeconds = 10;

  @Option(names = "--settle-ms", description = "Unmeasured load before each window, JIT warm-up included (default: ${DEFAULT-VALUE}).")
  long settleMillis = 10_000;

  @Option(names = "--in-flight", description = "Purchase calls in flight in all, split over region nodes and events (default: ${DEFAULT-VALUE}).")
  int inFlight = 2000;

  @Option(names = "--events", description = "Events bought from at once, their keys spread over the cluster's masters (default: ${DEFAULT-VALUE}).")
  int events = 6;

  @Option(names = "--log-dir", description = "Node and Redis logs (default: a new temporary directory).")
  Path logDir;

  @Option(names = "--root", description = "Where the reactor build left arbiter-node/ and region-node/ (default: ${DEFAULT-VALUE}).")
  Path root = Path.of(".");

  /** What one layout gave over its measured window. */
  record Result(Shape shape, long decided, double seconds, long failed, Histogram latencyMicros, Map<String, Long> cpuNanos,
      long machineBusyNanos) {
    double perSecond() {
      return decided / seconds;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (durationSeconds < 1 || inFlight < 1 || events < 1) throw new IllegalArgumentException("duration, in-flight and events must be >= 1");
    Path logs = logDir != null ? logDir : Files.createTempDirectory("flashsale-bench-scale");
    var jars = JarCluster.Settings.fromBuild(root, 0, null, logs);
    List<String> eventIds = eventsOverMasters(events);
    System.out.printf("bench-scale: %d cores, %d events, %d calls in flight, %d ms settle + %d s measured per layout, logs in %s%n",
        Runtime.getRuntime().availableProcessors(), events, inFlight, settleMillis, durationSeconds, logs);
    List<Result> results = new ArrayList<>();
    for (Shape shape : List.of(SMALL, BIG)) {
      try (var layout = ScaleLayout.start(shape, jars.arbiterJar(), jars.regionJar(), logs.resolve(shape.name()), Duration.ofSeconds(90))) {
        results.add(run(layout, eventIds));
      }
      ScaleReport.print(System.out, results.getLast());
    }
    ScaleReport.printRatio(System.out, results.get(0), results.get(1));
    return 0;
  }

  /**
   * Event ids whose {@code fs:{id}} keys fall on the cluster's masters in turn (slot ranges as
   * --cluster create splits them), and on the big layout's leadership partitions in turn.
   */
  static List<String> eventsOverMasters(int count) {
    Partitions partitions = new Partitions(BIG.partitions());
    List<String> ids = new ArrayList<>();
    for (int k = 0; ids.size() < count; k++) {
      String id = "scale-" + k;
      int master = SlotHash.getSlot("fs:{" + id + "}") * CLUSTER_MASTERS / SlotHash.SLOT_COUNT;
      if (master == ids.size() % CLUSTER_MASTERS && partitions.of(id) == ids.size() % partitions.count()) ids.add(id);
    }
    return ids;
  }

  private Result run(ScaleLayout layout, List<String> eventIds) throws InterruptedException, IOException {
    for (String id : eventIds) layout.createAtLeader(id, event(id), Duration.ofSeconds(30));
    List<ManagedChannel> channels = new ArrayList<>();
    List<CallDriver> drivers = new ArrayList<>();
    try {
      List<String> targets = layout.regionTargets();
      int perDriver = Math.max(1, inFlight / (targets.size() * eventIds.size()));
      for (int n = 0; n < targets.size(); n++) {
        ManagedChannel channel = Grpc.newChannelBuilder(targets.get(n), InsecureChannelCredentials.create()).directExecutor().build();
        channels.add(channel);
        for (String id : eventIds) drivers.add(CallDriver.purchases(channel, id, "n" + n + "-" + id));
      }
      drivers.forEach(d -> d.keepInFlight(perDriver));
      Thread.sleep(settleMillis);
      drivers.forEach(CallDriver::takeLatencies);
      long decidedBefore = decided(drivers);
      Map<String, Long> cpuBefore = cpuNanos(layout);
      long machineBefore = ScaleReport.machineBusyNanos();
      long startNanos = System.nanoTime();
      Thread.sleep(durationSeconds * 1_000L);
      long decided = decided(drivers) - decidedBefore;
      Map<String, Long> cpuAfter = cpuNanos(layout);
      long machineBusy = ScaleReport.machineBusyNanos() - machineBefore;
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      drivers.forEach(CallDriver::stop);
      Histogram latencies = new Histogram(3);
      drivers.forEach(d -> latencies.add(d.takeLatencies()));
      Map<String, Long> cpu = new LinkedHashMap<>();
      cpuAfter.forEach((name, after) -> cpu.put(name, after - cpuBefore.getOrDefault(name, 0L)));
      long failed = drivers.stream().mapToLong(CallDriver::failed).sum();
      Thread.sleep(1_000); // let the last answers drain before the nodes stop
      return new Result(layout.shape(), decided, seconds, failed, latencies, cpu, machineBusy);
    } finally {
      drivers.forEach(CallDriver::stop);
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static long decided(List<CallDriver> drivers) {
    return drivers.stream().mapToLong(CallDriver::decided).sum();
  }

  /** Every layout process, then this JVM (the driver). */
  private static Map<String, Long> cpuNanos(ScaleLayout layout) {
    Map<String, Long> cpu = layout.cpuNanos();
    cpu.put("driver (this JVM)", ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L));
    return cpu;
  }

  private static Event event(String eventId) {
    long nowMicros = System.currentTimeMillis() * 1000;
    return Event.newBuilder()
        .setEventId(eventId)
        .setItem("bench item")
        .setStock(100_000_000)
        .setStartTime(Times.timestamp(nowMicros))
        .setEndTime(Times.timestamp(nowMicros + 3_600_000_000L))
        .setPerUserLimit(1)
        .addRegions(ScaleLayout.REGION)
        .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)
        .build();
  }
}
