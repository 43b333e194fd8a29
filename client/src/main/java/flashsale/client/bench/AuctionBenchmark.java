package flashsale.client.bench;

import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.ArbiterStores;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.WatchAuctionRequest;
import flashsale.v1.WatchAuctionResponse;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Auctions on one machine: an arbiter, a near region (0 ms) and a far region behind a delayed
 * link. Close latency: auctions close one after another with bids from both regions just before
 * the close and a watcher on each region; the time from the close to the result reaching each
 * watcher is compared with its physical floor (the far region's watermark must reach the arbiter,
 * then the result must reach the watcher's region). Throughput: bids through the near region as
 * fast as a window in flight allows, against a no-op server with the same driver in the same run.
 */
@Command(name = "bench-auction", mixinStandardHelpOptions = true, description = {
    "Bids/s through one region (as a ratio of a no-op server's) and auction close latency above the floor."})
public final class AuctionBenchmark implements Callable<Integer> {
  private static final AuctionRun.Rules RULES = new AuctionRun.Rules(10, 100, 1);

  @Option(names = "--redis", description = "Redis URI for the arbiter's store; in-memory without it.")
  String redisUri;

  @Option(names = "--far-delay-ms", description = "One-way delay between the far region and the arbiter (default: ${DEFAULT-VALUE}).")
  long farDelayMs = 30;

  @Option(names = "--heartbeat-ms", description = "Region watermark heartbeat interval (default: ${DEFAULT-VALUE}).")
  long heartbeatMs = 2;

  @Option(names = "--closes", description = "Auctions closed one after another in the close-latency phase (default: ${DEFAULT-VALUE}).")
  int closes = 30;

  @Option(names = "--bids-per-close", description = "Bids from each region in the 200 ms before each close (default: ${DEFAULT-VALUE}).")
  int bidsPerClose = 50;

  @Option(names = "--duration-s", description = "Measured seconds of each throughput phase (default: ${DEFAULT-VALUE}).")
  int durationSeconds = 15;

  @Option(names = "--in-flight", description = "Bids in flight in the throughput phase (default: ${DEFAULT-VALUE}).")
  int inFlight = 4000;

  /** Where the figures go. */
  java.io.PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    var store = ArbiterStores.open(redisUri);
    var regions = List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", farDelayMs, Duration.ZERO));
    try (var cluster = LocalCluster.start(store, regions, heartbeatMs).awaitConnected(Duration.ofSeconds(30));
        var channels = Channels.open(cluster)) {
      out.printf("setup: store=%s, regions near (0 ms) and far (%d ms one way), heartbeat %d ms, %d cores;"
              + " auctions of %d units, reserve %d, increment %d%n", redisUri == null ? "in-memory" : redisUri, farDelayMs,
          heartbeatMs, Runtime.getRuntime().availableProcessors(), RULES.units(), RULES.reserveMinor(),
          RULES.incrementMinor());
      warmUp(channels);
      closeLatency(channels);
      throughput(channels);
    }
    return 0;
  }

  /** Channels to the arbiter and both regions (direct, not through the wire taps). */
  private record Channels(ManagedChannel admin, ManagedChannel near, ManagedChannel far) implements AutoCloseable {
    static Channels open(LocalCluster cluster) {
      return new Channels(channel(cluster.arbiterTarget()), channel(cluster.directRegionTarget("near")),
          channel(cluster.directRegionTarget("far")));
    }

    Channel region(String name) {
      return "near".equals(name) ? near : far;
    }

    @Override
    public void close() {
      admin.shutdownNow();
      near.shutdownNow();
      far.shutdownNow();
    }
  }

  /** An auction open from a second ago, closing {@code closeInMillis} from now; its close in µs. */
  private static long openAuction(Channels channels, String eventId, long closeInMillis) {
    long nowMicros = System.currentTimeMillis() * 1000;
    long closeMicros = nowMicros + closeInMillis * 1000;
    AuctionRun.createEvent(channels.admin(), eventId, RULES, List.of("near", "far"), nowMicros - 1_000_000, closeMicros);
    return closeMicros;
  }

  /** Half the bids rise with the call number (accepted), half bid the reserve (outbid once 10 stand). */
  private static CallDriver bids(Channel region, String eventId, String prefix) {
    return CallDriver.bids(region, eventId, prefix,
        sequence -> sequence % 2 == 0 ? RULES.reserveMinor() + sequence : RULES.reserveMinor());
  }

  private void warmUp(Channels channels) throws InterruptedException {
    String eventId = "bench-auction-warmup-" + System.currentTimeMillis();
    openAuction(channels, eventId, 3_600_000);
    var near = bids(channels.near(), eventId, "wn");
    var far = bids(channels.far(), eventId, "wf");
    near.keepInFlight(1000);
    far.keepInFlight(200);
    Thread.sleep(5_000);
    near.stop();
    far.stop();
    Thread.sleep(500 + 4 * farDelayMs);
  }

  /**
   * Closes {@code closes} auctions one after another; for each, bids from both regions in the
   * 200 ms before the close and a watcher per region timing the result's arrival.
   */
  private void closeLatency(Channels channels) throws Exception {
    var histograms = new java.util.TreeMap<String, Histogram>();
    for (String region : List.of("near", "far")) histograms.put(region, new Histogram(3));
    for (int i = 0; i < closes; i++) {
      String eventId = "bench-close-" + i + "-" + System.currentTimeMillis();
      long closeMicros = openAuction(channels, eventId, 400);
      var seen = new java.util.HashMap<String, CompletableFuture<Long>>();
      for (String region : List.of("near", "far")) seen.put(region, watchClose(channels.region(region), eventId));
      long sendFromNanos = System.nanoTime() + (closeMicros - System.currentTimeMillis() * 1000 - 200_000) * 1000;
      long spacingNanos = 200_000_000L / bidsPerClose;
      var near = bids(channels.near(), eventId, "n" + i);
      var far = bids(channels.far(), eventId, "f" + i);
      for (int b = 0; b < bidsPerClose; b++) {
        long dueNanos = sendFromNanos + b * spacingNanos;
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
        near.sendOne(dueNanos);
        far.sendOne(dueNanos);
      }
      for (var e : seen.entrySet()) {
        long toldMicros = e.getValue().get(30, TimeUnit.SECONDS);
        histograms.get(e.getKey()).recordValue(Math.max(0, toldMicros - closeMicros));
      }
    }
    for (var e : histograms.entrySet()) {
      long floorMillis = "near".equals(e.getKey()) ? farDelayMs : 2 * farDelayMs;
      Histogram h = e.getValue();
      out.printf(Locale.ROOT, "close latency, result pushed to a watcher on %-4s: n=%d p50 %.1f ms, p99 %.1f ms,"
              + " max %.1f ms; physical floor %d ms -> p50 above the floor %.1f ms, p99 %.1f ms%n", e.getKey(),
          h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
          h.getMaxValue() / 1000.0, floorMillis, h.getValueAtPercentile(50) / 1000.0 - floorMillis,
          h.getValueAtPercentile(99) / 1000.0 - floorMillis);
    }
  }

  /** Completes with the wall-clock µs at which the closed result reached this watcher. */
  private static CompletableFuture<Long> watchClose(Channel region, String eventId) {
    var closedAtMicros = new CompletableFuture<Long>();
    FlashSaleServiceGrpc.newStub(region).withDeadlineAfter(30, TimeUnit.SECONDS).watchAuction(
        WatchAuctionRequest.newBuilder().setEventId(eventId).build(), new StreamObserver<>() {
          @Override
          public void onNext(WatchAuctionResponse response) {
            if (response.getAuction().getClosed()) closedAtMicros.complete(flashsale.sale.Micros.of(java.time.Instant.now()));
          }

          @Override
          public void onError(Throwable t) {
            closedAtMicros.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            if (!closedAtMicros.isDone()) closedAtMicros.completeExceptionally(new IllegalStateException("watch of " + eventId + " ended open"));
          }
        });
    return closedAtMicros;
  }

  /**
   * The no-op server's ceiling, the real region, and the ceiling again; the ratio against the
   * higher ceiling (this JVM warms up as it goes: a ceiling taken only first would flatter the real path).
   */
  private void throughput(Channels channels) throws Exception {
    double before = ceiling("ceiling before");
    String eventId = "bench-auction-throughput-" + System.currentTimeMillis();
    openAuction(channels, eventId, 3_600_000);
    double real = measure("throughput", "judged through region 'near'", bids(channels.near(), eventId, "t"));
    double after = ceiling("ceiling after");
    double ceiling = Math.max(before, after);
    out.printf(Locale.ROOT, "bid throughput ratio: %.2f of the no-op ceiling (%,.0f / %,.0f bids/s, the higher of the"
        + " ceilings before and after it: %,.0f and %,.0f; same driver, same run)%n", real / ceiling, real, ceiling, before, after);
  }

  private double ceiling(String label) throws Exception {
    try (var noop = NoopPurchaseServer.start()) {
      ManagedChannel channel = channel(noop.target());
      try {
        return measure(label, "no-op PlaceBid server (same driver, answers at once)", bids(channel, "bench-ceiling", "c"));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private double measure(String label, String what, CallDriver driver) throws InterruptedException {
    var window = driver.measure(inFlight, 2_000, durationSeconds);
    out.printf(Locale.ROOT, "%s: %,.0f bids/s %s over %.1f s (%,d answered, %d failed, %d in flight);"
            + " latency p50 %.1f ms, p99 %.1f ms%n", label, window.callsPerSecond(), what, window.seconds(),
        window.answered(), window.failed(), inFlight, window.p50Millis(), window.p99Millis());
    Thread.sleep(1_000); // the last answers drain before the next phase
    return window.callsPerSecond();
  }

  private static ManagedChannel channel(String target) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).directExecutor().build();
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new AuctionBenchmark()).execute(args));
  }
}
