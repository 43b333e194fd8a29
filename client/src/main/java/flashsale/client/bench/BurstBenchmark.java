package flashsale.client.bench;

import flashsale.client.cluster.JarCluster;
import flashsale.client.cluster.ProcessResources;
import flashsale.client.report.StampLag;
import flashsale.v1.EventMode;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The burst benchmark ({@code flashsale bench --burst}): fresh node processes from the jars (an
 * arbiter, a near region and a far region behind a delayed link, taps in front of the regions),
 * {@code purchases} purchases written onto the regions' sockets within {@code windowMs}, split
 * evenly, first on the cold processes and then again on the same, warm ones. Prints per burst the
 * winner precision against the wire, each region's stamp lag, and the time from the last wire
 * arrival to the last answer against the physical floor (far one-way delay and back).
 */
public final class BurstBenchmark {
  /**
   * What to run; see {@code GlobalOrderBenchmark}'s burst options.
   *
   * @param liveHeap collect every node in full after each burst, so its heap figure is its live set
   * @param eventLength how long each burst's event stays open from its creation
   */
  public record Settings(int purchases, long windowMs, long stock, long farDelayMs, String redisUri, Path arbiterJar,
      Path regionJar, Path logDir, long seed, Path recordsPrefix, boolean streamed, int warmBursts, boolean liveHeap,
      Duration eventLength) {
    public Settings {
      if (purchases < 2 || windowMs < 1 || stock < 1) throw new IllegalArgumentException("need purchases >= 2, window >= 1 ms, stock >= 1");
      if (warmBursts < 1) throw new IllegalArgumentException("need warm bursts >= 1, got " + warmBursts);
      if (eventLength.toSeconds() < 5) throw new IllegalArgumentException("need an event length of 5 s or more (a cold burst's answers take seconds), got " + eventLength);
    }
  }

  private final Settings settings;
  private final PrintStream out;

  public BurstBenchmark(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs the cold burst and the warm ones; returns their figures in that order. */
  public List<BurstFigures> run() throws Exception {
    var clusterSettings = new JarCluster.Settings(settings.arbiterJar(), settings.regionJar(), settings.farDelayMs(),
        settings.redisUri(), settings.logDir(), List.of(), List.of(), List.of());
    long floorMs = 2 * settings.farDelayMs();
    out.printf(Locale.ROOT, "setup: arbiter (%s store), region near (0 ms) and region far (%d ms one way) as processes from the jars,"
        + " zero-delay taps in front of the regions; %,d purchases over %d ms split evenly (%s), stock %,d, each burst's event"
        + " open %d s; %d cores; Java %s%n",
        settings.redisUri() == null ? "in-memory" : settings.redisUri(), settings.farDelayMs(), settings.purchases(),
        settings.windowMs(), settings.streamed() ? "on one StreamPurchases stream per region" : "a Purchase call each",
        settings.stock(), settings.eventLength().toSeconds(), Runtime.getRuntime().availableProcessors(), Runtime.version());
    String runId = Long.toString(System.currentTimeMillis(), 36);
    List<BurstFigures> figures = new java.util.ArrayList<>();
    List<String> phases = new java.util.ArrayList<>(List.of("cold", "warm"));
    try (JarCluster cluster = JarCluster.start(clusterSettings, Duration.ofSeconds(60))) {
      ManagedChannel admin = cluster.adminChannel();
      try {
        Map<String, String> targets = new LinkedHashMap<>();
        for (String region : JarCluster.REGIONS) targets.put(region, cluster.regionTarget(region));
        var driver = new RawBurstDriver(targets, Duration.ofSeconds(120), cluster.wireLog()::wireMicrosOrZero, settings.streamed());
        List<Map<String, ProcessResources>> held = new java.util.ArrayList<>();
        for (int i = 2; i <= settings.warmBursts(); i++) phases.add("warm" + i);
        for (String phase : phases) {
          String eventId = "burst-" + runId + "-" + phase;
          ModeRun.createEvent(admin, EventMode.EVENT_MODE_GLOBAL_ORDER, eventId, settings.stock(), JarCluster.REGIONS,
              settings.eventLength());
          var plan = BurstPlan.of(runId + phase, JarCluster.REGIONS, settings.purchases() / 2, settings.windowMs() * 1000, Map.of(), settings.seed());
          var records = driver.run(eventId, plan);
          if (settings.recordsPrefix() != null) {
            Path file = Path.of(settings.recordsPrefix() + "-" + phase + ".csv");
            flashsale.client.load.ResultsFile.write(file, records);
            out.printf("%s: records written to %s (flashsale report reads them)%n", phase, file);
          }
          BurstFigures f = BurstFigures.of(records);
          figures.add(f);
          print(phase, f, floorMs);
          held.add(printNodes(phase, cluster));
        }
        if (held.size() >= 3) printGrowth(phases.get(1), held.get(1), phases.getLast(), held.getLast());
        if (cluster.brokenTapConnections() > 0) out.printf("warning: the taps lost track of %d connections%n", cluster.brokenTapConnections());
      } finally {
        admin.shutdownNow();
      }
    }
    // After the nodes are gone: their idle heartbeats (about half a core of two) would slow the
    // ceiling and flatter the ratio.
    long[] ceilingMicros = noopCeilingMicros(runId);
    out.printf(Locale.ROOT, "ceiling: the same burst to two no-op Purchase servers (the region's transport, answering at once,"
        + " each a process with a region's JVM settings, warmed up as a region warms itself, the nodes stopped) behind the same"
        + " kind of taps: last wire arrival to last answer %.1f ms on their first burst (cold), %.1f ms on the same servers"
        + " again (warm)%n", ceilingMicros[0] / 1e3, ceilingMicros[1] / 1e3);
    for (int i = 0; i < figures.size(); i++) {
      long ceiling = ceilingMicros[i == 0 ? 0 : 1];
      String like = i == 0 ? "cold" : "warm";
      out.printf(Locale.ROOT, "%s: last answer %.1f ms after the last arrival = %.1f x the no-op ceiling's %s%n",
          phases.get(i), figures.get(i).lastWireToLastAnswerMicros() / 1e3,
          (double) figures.get(i).lastWireToLastAnswerMicros() / Math.max(1, ceiling), like);
    }
    return figures;
  }

  /**
   * The same burst, same driver, against servers that do nothing: what this machine's gRPC stack
   * and driver alone need to answer it, the floor under any figure of the real nodes. Like the
   * nodes: each server a process of its own under a region's JVM settings (C1, ZGC), warmed up as a
   * region warms itself before serving, then the burst twice (cold, then warm). Until the
   * twenty-eighth session they ran in this process (C2, G1) on servers nothing had warmed.
   *
   * @return last wire arrival to last answer, µs: {cold, warm}
   */
  private long[] noopCeilingMicros(String runId) throws Exception {
    var wireLog = new flashsale.client.wire.WireLog();
    List<AutoCloseable> opened = new java.util.ArrayList<>();
    List<Process> servers = new java.util.ArrayList<>();
    try {
      Map<String, String> targets = new LinkedHashMap<>();
      for (String region : JarCluster.REGIONS) {
        Process server = startNoopProcess(region);
        servers.add(server);
        var tap = new flashsale.client.wire.WireTap(noopPort(server, region), wireLog);
        opened.add(tap);
        targets.put(region, tap.address());
      }
      var driver = new RawBurstDriver(targets, Duration.ofSeconds(120), wireLog::wireMicrosOrZero, settings.streamed());
      long[] lastAnswerMicros = new long[2];
      for (int i = 0; i < 2; i++) {
        String phase = i == 0 ? "noop-cold" : "noop-warm";
        var plan = BurstPlan.of(runId + phase, JarCluster.REGIONS, settings.purchases() / 2, settings.windowMs() * 1000, Map.of(), settings.seed());
        lastAnswerMicros[i] = BurstFigures.of(driver.run(phase + "-" + runId, plan)).lastWireToLastAnswerMicros();
      }
      return lastAnswerMicros;
    } finally {
      for (AutoCloseable c : opened.reversed()) c.close();
      servers.forEach(Process::destroy); // every one told before any is waited for
      for (Process p : servers) {
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  /** A no-op server under a region's JVM settings, from this process's own class path; it logs to the run's log directory. */
  private Process startNoopProcess(String region) throws java.io.IOException {
    List<String> command = JarCluster.regionJavaCommand();
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), NoopPurchaseServer.class.getName()));
    java.nio.file.Files.createDirectories(settings.logDir());
    return new ProcessBuilder(command).redirectErrorStream(true)
        // Written afresh: a ready line left by an earlier run would name a port nobody serves now.
        .redirectOutput(ProcessBuilder.Redirect.to(settings.logDir().resolve("noop-" + region + ".log").toFile()))
        .start();
  }

  private static final java.util.regex.Pattern READY_LINE =
      java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(NoopPurchaseServer.READY) + "(\\d+)");

  /** Waits (up to 2 minutes: its warm-up runs first) for the server's ready line in its log; its port. */
  private int noopPort(Process server, String region) throws Exception {
    Path log = settings.logDir().resolve("noop-" + region + ".log");
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) throw new IllegalStateException("the no-op server for " + region + " exited; see " + log);
      if (java.nio.file.Files.exists(log)) {
        for (String line : java.nio.file.Files.readAllLines(log)) {
          var ready = READY_LINE.matcher(line);
          if (ready.matches()) return Integer.parseInt(ready.group(1)); // a line half written does not match yet
        }
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the no-op server for " + region + " did not get ready in 2 minutes; see " + log);
  }

  /** One line per burst: what each node holds after it, so a leak over many sales shows as growth. */
  private Map<String, ProcessResources> printNodes(String phase, JarCluster cluster)
      throws java.io.IOException, InterruptedException {
    Map<String, ProcessResources> now = new LinkedHashMap<>();
    List<String> parts = new java.util.ArrayList<>();
    for (String node : cluster.nodeNames()) {
      if (settings.liveHeap()) cluster.collectFully(node);
      Optional<ProcessResources> held = cluster.resources(node);
      held.ifPresent(r -> now.put(node, r));
      String heap = NodeGcLog.heapAfterLast(cluster.gcLog(node))
          .map(h -> ", heap " + h + (settings.liveHeap() ? " live (after a full collection)" : " after its last collection")).orElse("");
      parts.add(node + " " + held.map(ProcessResources::describe).orElse("gone") + heap);
    }
    out.printf("%s:   nodes after it: %s%n", phase, String.join("; ", parts));
    return now;
  }

  /** From the first warm burst to the last (the cold one still loads classes and compiles). */
  private void printGrowth(String fromPhase, Map<String, ProcessResources> from, String toPhase,
      Map<String, ProcessResources> to) {
    List<String> parts = new java.util.ArrayList<>();
    for (var node : from.entrySet()) {
      ProcessResources after = to.get(node.getKey());
      if (after == null) continue;
      ProcessResources before = node.getValue();
      parts.add(String.format(Locale.ROOT, "%s rss %+d MB, threads %+d, open files %+d", node.getKey(),
          (after.residentBytes() - before.residentBytes()) >> 20, after.threads() - before.threads(),
          after.openFiles() - before.openFiles()));
    }
    out.printf("nodes from after %s to after %s: %s%n", fromPhase, toPhase, String.join("; ", parts));
  }

  private void print(String phase, BurstFigures f, long floorMs) {
    if (!f.errorCodes().isEmpty()) out.printf("%s: errors by code %s%n", phase, f.errorCodes());
    out.printf(Locale.ROOT, "%s: %,d purchases reached the regions' sockets over %.1f ms; won %,d, lost %,d, errors %d%n",
        phase, f.purchases(), f.wireSpanMicros() / 1e3, f.won(), f.lost(), f.errors());
    out.printf(Locale.ROOT, "%s:   winner precision against the wire %.4f (by send time %.4f; at the cut %d in one read for %d places);"
            + " latest winner %.2f ms after the earliest loser%n",
        phase, f.winnerPrecision(), f.sendWinnerPrecision(), f.cutTieAtWire().requests(), f.cutTieAtWire().places(),
        f.latestWinnerAfterEarliestLoserMicros() / 1e3);
    if (f.misranked() > 0) {
      out.printf(Locale.ROOT, "%s:   misranked at the wire %,d (winners after the cut, losers before it): %,d a later stamp"
          + " ranked ahead by the near-tie lottery (overlapping uncertainty), %,d ordered by stamps that disagreed with the wire%n",
          phase, f.misranked(), f.misrankedByLottery(), f.misranked() - f.misrankedByLottery());
    }
    for (StampLag l : f.stampLags()) {
      out.printf(Locale.ROOT, "%s:   stamp lag %-4s p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%,d)%n",
          phase, l.region(), l.p50Micros() / 1e3, l.p99Micros() / 1e3, l.maxMicros() / 1e3, l.requests());
    }
    double lastMs = f.lastWireToLastAnswerMicros() / 1e3;
    out.printf(Locale.ROOT, "%s:   last wire arrival to last answer %.1f ms; physical floor %d ms (far one-way %d ms + return %d ms)"
        + " -> %.1f ms above the floor (last decide %.1f ms after the last arrival)%n",
        phase, lastMs, floorMs, floorMs / 2, floorMs / 2, lastMs - floorMs, f.lastWireToLastDecideMicros() / 1e3);
  }

  /** For a quick look without the CLI: {@code java -cp flashsale.jar flashsale.client.bench.BurstBenchmark}. */
  public static void main(String[] args) throws Exception {
    new BurstBenchmark(new Settings(20_000, 50, 1_000, 30, null, Path.of("arbiter-node/target/arbiter-node.jar"),
        Path.of("region-node/target/region-node.jar"), Path.of("target/burst-logs"), 42, null, false, 1, false, Duration.ofMinutes(10)), System.out).run();
  }
}
