package flashsale.client.demo;

import flashsale.client.EventAdminClient;
import flashsale.client.FlashSaleException;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.client.load.ArrivalPattern;
import flashsale.client.load.LoadConfig;
import flashsale.client.load.LoadGenerator;
import flashsale.client.load.LoadProgress;
import flashsale.client.load.RegionTarget;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunResult;
import flashsale.store.ArbiterStores;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs the demo: starts a local cluster (near and far region), sends the same seeded burst
 * through each sale mode, and builds the side-by-side fairness report.
 */
public final class FlashSaleDemo {
  /** The modes compared, in the order their columns appear. */
  static final List<EventMode> MODES =
      List.of(EventMode.EVENT_MODE_GLOBAL_ORDER, EventMode.EVENT_MODE_SHARDED, EventMode.EVENT_MODE_CENTRAL);

  private final DemoSettings settings;
  private final PrintWriter out;

  public FlashSaleDemo(DemoSettings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * Runs every mode; {@code showProgress} gets each run's progress source while it runs, and
   * returns a handle that is closed when the run ends.
   */
  public FairnessReport run(Function<Supplier<LoadProgress>, AutoCloseable> showProgress)
      throws IOException, InterruptedException {
    var regions =
        List.of(
            new RegionSpec("near", settings.nearDelayMillis(), Duration.ZERO),
            new RegionSpec("far", settings.farDelayMillis(), settings.farClockSkew()));
    out.printf(
        "starting arbiter (%s store) and regions near (%d ms one way) and far (%d ms one way, clock %+.1f ms)%n",
        settings.redisUri() == null ? "in-memory" : settings.redisUri(),
        settings.nearDelayMillis(), settings.farDelayMillis(), settings.farClockSkew().toNanos() / 1e6);
    out.flush();
    List<RunResult> runs = new ArrayList<>();
    try (var cluster = LocalCluster.start(ArbiterStores.open(settings.redisUri()), regions, 2).awaitConnected(Duration.ofSeconds(10))) {
      List<ManagedChannel> channels = new ArrayList<>();
      try {
        ManagedChannel admin = track(channels, cluster.arbiterTarget());
        List<RegionTarget> targets = new ArrayList<>();
        for (String region : cluster.regionNames()) targets.add(new RegionTarget(region, track(channels, cluster.regionTarget(region))));
        warmUp(new EventAdminClient(admin), targets, cluster.regionNames());
        for (EventMode mode : MODES) {
          Optional<String> eventId = createEvent(new EventAdminClient(admin), mode, cluster.regionNames());
          if (eventId.isEmpty()) continue;
          runs.add(runOnce(mode, eventId.get(), targets, showProgress));
        }
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
      }
    }
    var report = FairnessReport.of(runs, settings.clockBoundMicros());
    report.writeHtml(settings.htmlReport());
    return report;
  }

  private RunResult runOnce(
      EventMode mode, String eventId, List<RegionTarget> targets, Function<Supplier<LoadProgress>, AutoCloseable> showProgress)
      throws InterruptedException {
    double ratePerSecond = settings.users() / (settings.burst().toNanos() / 1e9);
    var config =
        LoadConfig.of(eventId, targets, settings.users(), ratePerSecond, settings.burst(), ArrivalPattern.POISSON)
            .withMaxInFlight(settings.users())
            .withSeed(42);
    var generator = new LoadGenerator(config);
    out.printf("%s: %d buyers, stock %d, burst over %d ms%n", label(mode), settings.users(), settings.stock(), settings.burst().toMillis());
    out.flush();
    try (AutoCloseable ignored = showProgress.apply(generator::progress)) {
      return new RunResult(label(mode), generator.run().records());
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("progress display failed", e);
    }
  }

  /**
   * An unmeasured run first: a fresh JVM needs a second or two of load before the JIT has compiled
   * the hot paths, and without this the first mode measured would carry that warm-up as latency.
   */
  private void warmUp(EventAdminClient admin, List<RegionTarget> targets, List<String> regions)
      throws InterruptedException {
    out.println("warming up (2 s, not measured)");
    out.flush();
    String eventId = "demo-warmup-" + System.currentTimeMillis();
    admin.createEvent(event(eventId, EventMode.EVENT_MODE_GLOBAL_ORDER, 1_000_000, regions));
    var config =
        LoadConfig.of(eventId, targets, 8_000, 4_000, Duration.ofSeconds(2), ArrivalPattern.POISSON).withMaxInFlight(8_000);
    new LoadGenerator(config).run();
  }

  private Event event(String eventId, EventMode mode, long stock, List<String> regions) {
    long nowMicros = System.currentTimeMillis() * 1000;
    return Event.newBuilder()
        .setEventId(eventId)
        .setItem("limited sneakers")
        .setStock(stock)
        .setStartTime(Times.timestamp(nowMicros))
        .setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1)
        .addAllRegions(regions)
        .setMode(mode)
        .build();
  }

  /** Creates the mode's event; empty (with a note) when this build does not serve the mode. */
  private Optional<String> createEvent(EventAdminClient admin, EventMode mode, List<String> regions) {
    String eventId = "demo-" + label(mode).toLowerCase().replace('_', '-') + "-" + System.currentTimeMillis();
    try {
      admin.createEvent(event(eventId, mode, settings.stock(), regions));
      return Optional.of(eventId);
    } catch (FlashSaleException e) {
      if (e.reason().filter("MODE_NOT_SUPPORTED"::equals).isPresent()) {
        out.printf("%s: not served by this build, skipped%n", label(mode));
        return Optional.empty();
      }
      throw e;
    }
  }

  static String label(EventMode mode) {
    return mode.name().substring("EVENT_MODE_".length());
  }

  private static ManagedChannel track(List<ManagedChannel> channels, String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }
}
