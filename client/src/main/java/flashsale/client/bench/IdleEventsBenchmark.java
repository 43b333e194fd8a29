package flashsale.client.bench;

import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What idle events cost the arbiter: an arbiter and two regions in this process (no delay),
 * 10 s of unmeasured load (JIT warm-up), {@code --idle-events} open events nobody buys from, then
 * the CPU time of the arbiter's
 * {@code sequencer-loop} thread over a quiet window (regions keep heartbeating), then the
 * purchases per second of one hot event next to the idle ones. Run with 0 idle events for the
 * baseline.
 */
@Command(name = "bench-idle", mixinStandardHelpOptions = true,
    description = "Sequencer-loop CPU with idle events registered, and a hot event's purchases/s next to them.")
public final class IdleEventsBenchmark implements Callable<Integer> {

  @Option(names = "--idle-events", description = "Open events nobody buys from (default: ${DEFAULT-VALUE}).")
  int idleEvents = 10_000;

  @Option(names = "--quiet-s", description = "Seconds of the CPU window without purchases (default: ${DEFAULT-VALUE}).")
  int quietSeconds = 10;

  @Option(names = "--duration-s", description = "Measured seconds of the hot event's load (default: ${DEFAULT-VALUE}).")
  int durationSeconds = 10;

  @Option(names = "--in-flight", description = "Purchase calls in flight for the hot event (default: ${DEFAULT-VALUE}).")
  int inFlight = 2000;

  @Option(names = "--heartbeat-ms", description = "Region watermark heartbeat interval (default: ${DEFAULT-VALUE}).")
  long heartbeatMs = 2;

  @Override
  public Integer call() throws Exception {
    var regions = List.of(new RegionSpec("east", 0, Duration.ZERO), new RegionSpec("west", 0, Duration.ZERO));
    try (var cluster = LocalCluster.start(new InMemoryArbiterStore(), regions, heartbeatMs)
            .awaitConnected(Duration.ofSeconds(10));
        var admin = new Channel(cluster.arbiterTarget())) {
      warmUp(cluster, admin.channel); // the JIT compiles the purchase path before either measurement
      long createStart = System.nanoTime();
      for (int i = 0; i < idleEvents; i++) create(admin.channel, cluster, "idle-" + i, 1_000);
      System.out.printf("setup: %d idle events created in %.1f s, regions east and west, heartbeat %d ms, %d cores%n",
          idleEvents, (System.nanoTime() - createStart) / 1e9, heartbeatMs, Runtime.getRuntime().availableProcessors());
      Thread.sleep(3_000); // announcements settle
      double loopCpu = loopCpuShare(quietSeconds);
      System.out.printf("quiet: sequencer-loop CPU %.2f %% of a core over %d s with %d idle events and no purchases%n",
          100 * loopCpu, quietSeconds, idleEvents);
      hotEvent(cluster, admin.channel);
    }
    return 0;
  }

  /** Unmeasured load on an event of its own, so both runs (with and without idle events) start warm. */
  private void warmUp(LocalCluster cluster, ManagedChannel admin) throws InterruptedException {
    create(admin, cluster, "warm-up", 100_000_000);
    try (var east = new Channel(cluster.regionTarget("east"))) {
      var driver = CallDriver.purchases(east.channel, "warm-up", "w");
      driver.keepInFlight(inFlight);
      Thread.sleep(10_000);
      driver.stop();
      Thread.sleep(2_000); // let the last answers drain
    }
  }

  private void hotEvent(LocalCluster cluster, ManagedChannel admin) throws InterruptedException {
    create(admin, cluster, "hot", 100_000_000);
    try (var east = new Channel(cluster.regionTarget("east"))) {
      var driver = CallDriver.purchases(east.channel, "hot", "h");
      var window = driver.measure(inFlight, 5_000, durationSeconds); // 5 s warm-up and settle, unmeasured
      System.out.printf("hot: %,.0f purchases/s over %.1f s next to %d idle events (%,d decided, %d failed); p50 %.1f ms, p99 %.1f ms%n",
          window.callsPerSecond(), window.seconds(), idleEvents, window.answered(), window.failed(), window.p50Millis(),
          window.p99Millis());
      Thread.sleep(1_000); // let the last answers drain
    }
  }

  /** CPU time of the arbiter's sequencer-loop thread over {@code seconds}, as a share of one core. */
  private static double loopCpuShare(int seconds) throws InterruptedException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Thread loop = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("sequencer-loop")).findFirst()
        .orElseThrow(() -> new IllegalStateException("no sequencer-loop thread in this process"));
    long cpuBefore = threads.getThreadCpuTime(loop.threadId());
    long wallBefore = System.nanoTime();
    Thread.sleep(seconds * 1_000L);
    long cpu = threads.getThreadCpuTime(loop.threadId()) - cpuBefore;
    return (double) cpu / (System.nanoTime() - wallBefore);
  }

  private static void create(ManagedChannel admin, LocalCluster cluster, String eventId, long stock) {
    long nowMicros = System.currentTimeMillis() * 1000;
    var event = Event.newBuilder()
        .setEventId(eventId)
        .setItem("bench item")
        .setStock(stock)
        .setStartTime(Times.timestamp(nowMicros))
        .setEndTime(Times.timestamp(nowMicros + 3_600_000_000L))
        .setPerUserLimit(1)
        .addAllRegions(cluster.regionNames())
        .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER);
    EventAdminServiceGrpc.newBlockingStub(admin).withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
  }

  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new IdleEventsBenchmark()).execute(args));
  }

  private record Channel(ManagedChannel channel) implements AutoCloseable {
    Channel(String target) {
      this(Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).directExecutor().build());
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
