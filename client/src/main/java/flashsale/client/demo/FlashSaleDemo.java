package flashsale.client.demo;

import flashsale.client.bench.AuctionRun;
import flashsale.client.bench.BurstDriver;
import flashsale.client.bench.BurstPlan;
import flashsale.client.bench.ModeRun;
import flashsale.client.bench.ReservationRun;
import flashsale.client.cluster.DevPki;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.ModeStores;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.client.cluster.LocalRedis;
import flashsale.client.load.LoadProgress;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunResult;
import flashsale.store.ArbiterStores;
import flashsale.v1.EventMode;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs the demo: a near and a far region on loopback, the same seeded burst through each sale
 * mode (the far region's users sending a little earlier), and the side-by-side fairness report.
 */
public final class FlashSaleDemo {
  /** The modes compared, in the order their columns appear. */
  static final List<EventMode> MODES =
      List.of(EventMode.EVENT_MODE_GLOBAL_ORDER, EventMode.EVENT_MODE_SHARDED, EventMode.EVENT_MODE_CENTRAL);

  private final DemoSettings settings;
  private final PrintWriter out;
  /** The reservation burst's figures, once run. */
  private ReservationRun.Figures reservation;
  /** The auction's figures, once run. */
  private AuctionRun.Figures auction;

  public FlashSaleDemo(DemoSettings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * Runs every mode it can; {@code showProgress} gets each run's progress source while it runs
   * and returns a handle closed when the run ends.
   */
  public FairnessReport run(Function<Supplier<LoadProgress>, AutoCloseable> showProgress) throws Exception {
    Optional<LocalRedis> ownRedis = settings.redisUri() == null ? LocalRedis.startIfInstalled() : Optional.empty();
    try {
      Optional<Integer> redisPort = settings.redisUri() != null ? Optional.of(loopbackPort(settings.redisUri())) : ownRedis.map(LocalRedis::port);
      ModeStores stores = redisPort.map(p -> new ModeStores(p, Map.of("near", p, "far", p))).orElse(ModeStores.none());
      say("starting an arbiter (%s store) and regions near (%d ms one way) and far (%d ms one way, clock %+.1f ms)%s",
          settings.redisUri() == null ? "in-memory" : settings.redisUri(), settings.nearDelayMillis(), settings.farDelayMillis(),
          settings.farClockSkew().toNanos() / 1e6,
          redisPort.isEmpty() ? "" : "; CENTRAL and SHARDED use Redis on port " + redisPort.get());
      var regions =
          List.of(
              new RegionSpec("near", settings.nearDelayMillis(), Duration.ZERO),
              new RegionSpec("far", settings.farDelayMillis(), settings.farClockSkew()));
      // As deployed: the arbiter link and the admin API take only mutual TLS, here from a throw-away CA.
      Path pkiDirectory = Files.createTempDirectory("flashsale-demo-pki");
      say("arbiter link and admin API over mutual TLS, certificates from a throw-away CA in %s", pkiDirectory);
      try (var cluster = LocalCluster.start(ArbiterStores.open(settings.redisUri()), regions, 2, stores, DevPki.create(pkiDirectory))
          .awaitConnected(Duration.ofSeconds(30)).awaitServing(Duration.ofSeconds(60))) {
        var report = FairnessReport.of(runModes(cluster, redisPort.isPresent(), showProgress), settings.clockBoundMicros(),
            reportSettings(redisPort.isPresent()));
        report.writeHtml(settings.htmlReport());
        return report;
      } finally {
        deleteTree(pkiDirectory);
      }
    } finally {
      ownRedis.ifPresent(LocalRedis::close);
    }
  }

  private List<RunResult> runModes(
      LocalCluster cluster, boolean haveRedis, Function<Supplier<LoadProgress>, AutoCloseable> showProgress) throws Exception {
    List<ManagedChannel> opened = new ArrayList<>();
    try {
      Map<String, Channel> channels = new LinkedHashMap<>();
      for (String region : cluster.regionNames()) channels.put(region, track(opened, cluster.regionTarget(region)));
      ManagedChannel admin = cluster.adminChannel();
      opened.add(admin);
      var driver = new BurstDriver(channels, Duration.ofSeconds(30), cluster.wireLog()::wireMicrosOrZero);
      String runId = Long.toString(System.currentTimeMillis(), 36);
      warmUp(admin, driver, cluster.regionNames(), runId, haveRedis);
      List<RunResult> runs = new ArrayList<>();
      for (EventMode mode : MODES) {
        String label = mode.name().substring("EVENT_MODE_".length());
        if (mode != EventMode.EVENT_MODE_GLOBAL_ORDER && !haveRedis) {
          say("%s: skipped, it needs Redis (install redis-server, or pass --redis)", label);
          continue;
        }
        say("%s: %d purchases per region over %d ms, far region starting %d ms earlier, stock %d", label,
            settings.perRegion(), settings.spread().toMillis(), settings.farLead().toMillis(), settings.stock());
        var plan = BurstPlan.of(runId + mode.getNumber(), cluster.regionNames(), settings.perRegion(),
            settings.spread().toNanos() / 1000, Map.of("far", settings.farLead().toNanos() / 1000), settings.seed());
        try (AutoCloseable ignored = showProgress.apply(driver::progress)) {
          runs.add(ModeRun.run(admin, driver, mode, "demo-" + runId + "-" + mode.getNumber(), settings.stock(), cluster.regionNames(), plan));
        }
      }
      runReservation(admin, driver, cluster, runId, showProgress);
      runAuction(admin, channels, cluster, runId);
      return runs;
    } finally {
      opened.forEach(ManagedChannel::shutdownNow);
    }
  }

  /**
   * A reservation next to the flash sales: the same regions and lead, the stock split into three
   * slots, judged against serial dictatorship over the wire order (GLOBAL_ORDER only: the other
   * modes do not take reservations; a first-come central store is computed beside it).
   */
  private void runReservation(ManagedChannel admin, BurstDriver driver, LocalCluster cluster, String runId,
      Function<Supplier<LoadProgress>, AutoCloseable> showProgress) throws Exception {
    long third = Math.max(1, settings.stock() / 3);
    Map<String, Long> slots = new LinkedHashMap<>(Map.of("18:00", third));
    slots.put("19:00", third);
    slots.put("20:00", Math.max(1, settings.stock() - 2 * third));
    say("RESERVATION: %d requests per region (1-2 seats, 1-3 acceptable slots each) into slots %s, far region starting %d ms earlier",
        settings.perRegion(), slots, settings.farLead().toMillis());
    var plan = BurstPlan.of(runId + "r", cluster.regionNames(), settings.perRegion(), settings.spread().toNanos() / 1000,
        Map.of("far", settings.farLead().toNanos() / 1000), settings.seed());
    try (AutoCloseable ignored = showProgress.apply(driver::progress)) {
      reservation = ReservationRun.run(admin, driver, "demo-" + runId + "-reservation", slots, cluster.regionNames(), plan,
          settings.seed(), cluster.wireLog()::wireMicrosOrZero,
          Map.of("near", settings.nearDelayMillis(), "far", settings.farDelayMillis()));
    }
    reservation.describe().forEach(line -> say("%s", line));
  }

  /**
   * An auction next to the flash sales: bids from both regions in a window around a hard close,
   * judged by replaying the auction's rule over the wire order (GLOBAL_ORDER only), with a
   * first-come central store computed beside it.
   */
  private void runAuction(ManagedChannel admin, Map<String, Channel> channels, LocalCluster cluster, String runId)
      throws InterruptedException {
    var rules = new AuctionRun.Rules(Math.max(1, settings.stock() / 20), 1_000, 100);
    long windowMillis = 2 * settings.farDelayMillis() + 20;
    say("AUCTION: %d bids per region within %d ms around a hard close, %d units, reserve %d, increment %d (USD cents)",
        settings.perRegion(), windowMillis, rules.units(), rules.reserveMinor(), rules.incrementMinor());
    auction = AuctionRun.run(admin, channels, "demo-" + runId + "-auction", rules, settings.perRegion(), 2_000,
        windowMillis, settings.seed(), cluster.wireLog()::wireMicrosOrZero,
        Map.of("near", settings.nearDelayMillis(), "far", settings.farDelayMillis()));
    auction.describe().forEach(line -> say("%s", line));
  }

  /**
   * Unmeasured bursts first: a fresh JVM needs a second or two of load before the JIT has
   * compiled the hot paths; without this the first mode would carry that warm-up as latency. The
   * other modes get a smaller one each: a region's first purchases to a cold central store reached
   * it late enough that CENTRAL once looked fair (CliAgainstClusterTest, CI at 8840f33).
   */
  private void warmUp(ManagedChannel admin, BurstDriver driver, List<String> regions, String runId, boolean haveRedis)
      throws InterruptedException {
    say("warming up (about %d s, not measured)", haveRedis ? 3 : 2);
    var plan = BurstPlan.of(runId + "w", regions, 3_000, 1_500_000, Map.of(), settings.seed());
    ModeRun.run(admin, driver, EventMode.EVENT_MODE_GLOBAL_ORDER, "demo-warmup-" + runId, 1_000_000, regions, plan);
    if (!haveRedis) return;
    for (EventMode mode : List.of(EventMode.EVENT_MODE_SHARDED, EventMode.EVENT_MODE_CENTRAL)) {
      var small = BurstPlan.of(runId + "w" + mode.getNumber(), regions, 500, 250_000, Map.of(), settings.seed());
      ModeRun.run(admin, driver, mode, "demo-warmup-" + runId + "-" + mode.getNumber(), 1_000_000, regions, small);
    }
  }

  /** What the report shows as the run's settings, so a reader can tell runs apart and redo one. */
  private List<FairnessReport.Setting> reportSettings(boolean haveRedis) {
    DemoSettings s = settings;
    return List.of(
        new FairnessReport.Setting("stock per mode", Integer.toString(s.stock())),
        new FairnessReport.Setting("purchases", s.perRegion() + " per region, one per buyer, over " + s.spread().toMillis() + " ms"),
        new FairnessReport.Setting("one-way delay to the arbiter", "near " + s.nearDelayMillis() + " ms, far " + s.farDelayMillis()
            + " ms (far also " + s.farDelayMillis() + " ms from the central store)"),
        new FairnessReport.Setting("far region's lead", s.farLead().toMillis() + " ms earlier"),
        new FairnessReport.Setting("far region's clock skew", String.format(java.util.Locale.ROOT, "%+.3f ms", s.farClockSkew().toNanos() / 1e6)),
        new FairnessReport.Setting("seed", Long.toString(s.seed())),
        new FairnessReport.Setting("reservation burst", reservation == null ? "not run" : String.format(java.util.Locale.ROOT,
            "%d requests; seated precision against serial dictatorship over the wire order %.3f (a first-come central"
                + " store: %.3f); exact slot or loss as the wire order gives %.3f", reservation.requests(),
            reservation.seatedPrecision(), reservation.centralSeatedPrecision(), reservation.precision())),
        new FairnessReport.Setting("auction close", auction == null ? "not run" : String.format(java.util.Locale.ROOT,
            "%d bids; winners as the wire order gives: precision %.3f (a first-come central store: %.3f); on-time bids"
                + " refused %d, late bids judged %d", auction.bids(), auction.precision(), auction.centralPrecision(),
            auction.onTimeRefused(), auction.lateJudged())),
        new FairnessReport.Setting("clock bound for inversions", s.clockBoundMicros() + " µs"),
        new FairnessReport.Setting("stores", (s.redisUri() == null ? "arbiter in memory" : "arbiter on " + s.redisUri())
            + (haveRedis ? "; SHARDED and CENTRAL on Redis" : "; SHARDED and CENTRAL skipped (no Redis)")),
        new FairnessReport.Setting("version", VERSION),
        new FairnessReport.Setting("date", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()),
        new FairnessReport.Setting("machine", Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version()));
  }

  /** The build's version, as the jar's manifest states it. */
  static final String VERSION = java.util.Optional.ofNullable(FlashSaleDemo.class.getPackage().getImplementationVersion())
      .orElse("0.1.0-SNAPSHOT (unpackaged)");

  private static int loopbackPort(String redisUri) {
    URI uri = URI.create(redisUri);
    String host = uri.getHost();
    if (!"127.0.0.1".equals(host) && !"localhost".equals(host)) {
      throw new IllegalArgumentException("the demo simulates WAN links on loopback: --redis must be redis://127.0.0.1:PORT");
    }
    return uri.getPort() > 0 ? uri.getPort() : 6379;
  }

  private void say(String format, Object... args) {
    out.printf(format + "%n", args);
    out.flush();
  }

  private static void deleteTree(Path directory) throws IOException {
    try (var paths = Files.walk(directory)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  private static ManagedChannel track(List<ManagedChannel> opened, String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    opened.add(c);
    return c;
  }
}
