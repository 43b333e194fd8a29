package flashsale.client.bench;

import flashsale.client.cluster.JarCluster;
import flashsale.client.load.LoadResult;
import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Does one abusive user slow everyone else down? Against nodes started from the jars (default
 * flags: 20 new purchases/s per user, burst 40), a crowd of 1,000 users buys at 300/s for 15 s (4,500 calls, so its p99 is the 45th slowest),
 * alone and then with one user sending 3,000/s at the same region; three times each, alternating.
 * Prints the crowd's p50/p99 latency per run and min/median/max over the runs, and how the
 * abuser was answered. Run it alone on the machine: {@code client/bin/flashsale bench-abuser}.
 */
@Command(name = "bench-abuser", mixinStandardHelpOptions = true,
    description = "A crowd's latency alone and beside one user sending 3,000 purchases/s (nodes from the jars).")
public final class AbuserBenchmark implements Callable<Integer> {
  static final int RUNS = 3;
  private final PrintStream out;

  @Option(names = "--root", description = "Where the reactor build left arbiter-node/ and region-node/ (default: ${DEFAULT-VALUE}).")
  Path root = Path.of(".");

  /** How the abuser's calls are made; the region answers each as a full gRPC call whatever the client. */
  enum AbuserClient {
    /** Pre-encoded HTTP/2 on its own socket, from a JVM of its own: the abuser's own CPU stays small. */
    RAW,
    /**
     * The same from this JVM: its garbage is collected by the JVM that times the crowd, whose
     * pauses then count as the region's slowdown.
     */
    RAW_THIS_JVM,
    /** grpc-java in a JVM of its own. */
    GRPC_OWN_JVM,
    /** grpc-java in this JVM on its own connection, sharing the crowd's client threads and heap. */
    GRPC_THIS_JVM
  }

  @Option(names = "--abuser-client", converter = AbuserClientName.class, paramLabel = "raw|raw-this-jvm|grpc-own-jvm|grpc-this-jvm",
      description = "How the abuser sends (default: raw). On a shared two-core box the abuser's own client competes with"
          + " the nodes for CPU; a real abuser's runs elsewhere.")
  AbuserClient abuserClient = AbuserClient.RAW;

  /** {@code grpc-own-jvm} and the like. */
  static final class AbuserClientName implements picocli.CommandLine.ITypeConverter<AbuserClient> {
    @Override
    public AbuserClient convert(String value) {
      try {
        return AbuserClient.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(
            "expected raw, raw-this-jvm, grpc-own-jvm or grpc-this-jvm, got '" + value + "'");
      }
    }
  }

  public AbuserBenchmark() {
    this(System.out);
  }

  AbuserBenchmark(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() throws Exception {
    run(root, new AbuseRun(1_000, 300, 3_000, Duration.ofSeconds(15)));
    return 0;
  }

  public static void main(String[] args) throws Exception {
    new AbuserBenchmark().call();
  }

  void run(Path root, AbuseRun load) throws Exception {
    var settings = JarCluster.Settings.fromBuild(root.toAbsolutePath(), 0, null, Path.of("target", "abuser-logs"));
    out.printf(Locale.ROOT, "setup: arbiter and regions near/far from the jars (default region flags), crowd of %d users at"
        + " %.0f/s for %d s to region near, abuser (one user id) at %.0f/s alongside; %d runs each; %d cores; Java %s%n",
        load.crowdUsers(), load.crowdPerSecond(), load.duration().toSeconds(), load.abuserPerSecond(), RUNS,
        Runtime.getRuntime().availableProcessors(), Runtime.version());
    List<double[]> alone = new ArrayList<>();
    List<double[]> abused = new ArrayList<>();
    List<Double> perAbuserCall = new ArrayList<>();
    try (JarCluster cluster = JarCluster.start(settings, Duration.ofSeconds(60))) {
      String nearTarget = "127.0.0.1:" + cluster.regionPort("near");
      ManagedChannel admin = cluster.adminChannel();
      ManagedChannel buyers = Grpc.newChannelBuilder(nearTarget, InsecureChannelCredentials.create()).build();
      // The abuser is another client, on a connection of its own (see --abuser-client).
      Path abuserLog = settings.logDir().resolve("abuser.log");
      ManagedChannel abuserChannel = abuserClient == AbuserClient.GRPC_THIS_JVM
          ? Grpc.newChannelBuilder(nearTarget, InsecureChannelCredentials.create()).build() : null;
      AbuserProcess.Client ownJvmClient = switch (abuserClient) {
        case RAW -> AbuserProcess.Client.RAW;
        case GRPC_OWN_JVM -> AbuserProcess.Client.GRPC;
        case RAW_THIS_JVM, GRPC_THIS_JVM -> null;
      };
      try (var abuserJvm = ownJvmClient == null ? null
          : AbuserProcess.start(ownJvmClient, nearTarget, load.abuserPerSecond(), load.duration(), abuserLog)) {
        int nearPort = cluster.regionPort("near");
        java.util.function.Function<String, java.util.concurrent.CompletableFuture<AbuseRun.Abuser>> abuser =
            switch (abuserClient) {
              case RAW, GRPC_OWN_JVM -> abuserJvm::abuse;
              case RAW_THIS_JVM -> event -> load.abuseRawAsync("127.0.0.1", nearPort, event);
              case GRPC_THIS_JVM -> event -> load.abuseAsync(abuserChannel, event);
            };
        out.println("abuser client: " + switch (abuserClient) {
          case RAW -> "pre-encoded HTTP/2 in its own JVM (pid " + abuserJvm.pid() + "), its own socket";
          case RAW_THIS_JVM -> "pre-encoded HTTP/2 from this JVM, its own socket";
          case GRPC_OWN_JVM -> "grpc-java in its own JVM, pid " + abuserJvm.pid() + ", log " + abuserLog;
          case GRPC_THIS_JVM -> "grpc-java in this JVM, its own connection";
        });
        String runId = Long.toString(System.currentTimeMillis(), 36);
        // Warm both paths (decided purchases and refused ones) and both clients before measuring.
        new AbuseRun(100, 300, load.abuserPerSecond(), load.duration())
            .run(admin, JarCluster.REGIONS, "near", buyers, abuser, "warm-" + runId);
        for (int i = 1; i <= RUNS; i++) {
          var quietCpu = NodeCpu.start(cluster, "region-near");
          var quiet = new AbuseRun(load.crowdUsers(), load.crowdPerSecond(), 0, load.duration())
              .run(admin, JarCluster.REGIONS, "near", buyers, abuser, "alone-" + runId + "-" + i);
          NodeCpu.Used quietUsed = quietCpu.stop();
          alone.add(report("run " + i + " crowd alone      ", quiet, cluster.gcLog("region-near")));
          out.println("  near region CPU: " + quietUsed.describe());
          var abusedCpu = NodeCpu.start(cluster, "region-near");
          var abusedRun = load.run(admin, JarCluster.REGIONS, "near", buyers, abuser, "abused-" + runId + "-" + i);
          NodeCpu.Used abusedUsed = abusedCpu.stop();
          abused.add(report("run " + i + " crowd with abuser", abusedRun, cluster.gcLog("region-near")));
          out.println("  near region CPU: " + abusedUsed.describe() + extraPerAbuserCall(abusedUsed, quietUsed,
              abusedRun.abuser(), perAbuserCall));
        }
      } finally {
        admin.shutdownNow();
        buyers.shutdownNow();
        if (abuserChannel != null) abuserChannel.shutdownNow();
      }
    }
    summary("p50", 0, alone, abused);
    summary("p99", 1, alone, abused);
    if (!perAbuserCall.isEmpty()) {
      double[] micros = perAbuserCall.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      out.printf(Locale.ROOT, "near region CPU per abuser call over %d runs (min/median/max): %.0f/%.0f/%.0f us%n",
          micros.length, micros[0], micros[micros.length / 2], micros[micros.length - 1]);
    }
  }

  /**
   * What the abuser's calls cost the near region: its CPU beyond the same run's crowd alone
   * (scaled to the abused run's length), per call the abuser sent.
   */
  static String extraPerAbuserCall(NodeCpu.Used abused, NodeCpu.Used alone, AbuseRun.Abuser abuser,
      List<Double> perCall) {
    if (abused.cpu().isEmpty() || alone.cpu().isEmpty() || abuser == null || abuser.sent() == 0) return "";
    double extraSeconds = (abused.cores().orElseThrow() - alone.cores().orElseThrow()) * abused.wallSeconds();
    double micros = extraSeconds * 1e6 / abuser.sent();
    perCall.add(micros);
    return String.format(Locale.ROOT, "; beyond the crowd alone, %.0f us per abuser call", micros);
  }

  private double[] report(String label, AbuseRun.Result r, Path nearGcLog) throws java.io.IOException {
    LoadResult crowd = r.crowd();
    double p50 = crowd.latencyMicros().getValueAtPercentile(50) / 1e3;
    double p99 = crowd.latencyMicros().getValueAtPercentile(99) / 1e3;
    out.printf(Locale.ROOT, "%s: crowd %d sent, %d decided, errors %s; latency p50 %.2f ms, p99 %.2f ms", label,
        crowd.records().size(), crowd.records().stream().filter(RequestRecord::decided).count(), errorCodes(crowd), p50, p99);
    if (r.abuser() != null) {
      out.printf(Locale.ROOT, "; abuser %d sent over %.1f s: %s", r.abuser().sent(), r.abuser().sendingMicros() / 1e6,
          r.abuser().outcomes());
    }
    out.println();
    out.println("  " + tailHops(crowd, p99));
    out.println("  " + nearCollections(crowd, nearGcLog));
    return new double[] {p50, p99};
  }

  /**
   * Where the crowd's slowest calls (latency at or above {@code p99Millis}) spent their time, as
   * medians: client send to the region's stamp, stamp to the arbiter's decision, decision to the
   * client's answer (one machine, one clock).
   */
  static String tailHops(LoadResult crowd, double p99Millis) {
    List<RequestRecord> tail = crowd.records().stream()
        .filter(x -> x.decided() && x.arrivalMicros() > 0 && x.latencyMicros() >= p99Millis * 1000).toList();
    if (tail.isEmpty()) return "tail: no decided call at or above p99";
    // Sent when the client's own delay (if any) was over; answered at send + latency.
    double[] hops = LatencyHops.medianHopsMillis(tail.stream().map(x -> new LatencyHops.Call(
        x.sendMicros() + x.clientDelayMicros(), x.arrivalMicros(), x.decideMicros(), x.sendMicros() + x.latencyMicros()))
        .toList());
    // When they were sent, so a stall can be matched against the nodes' logs (GC, safepoints).
    long firstSend = tail.stream().mapToLong(RequestRecord::sendMicros).min().orElseThrow();
    long lastSend = tail.stream().mapToLong(RequestRecord::sendMicros).max().orElseThrow();
    return String.format(Locale.ROOT, "tail (%d calls at or above p99), median ms: send->stamp %.1f, stamp->decide %.1f,"
        + " decide->answer %.1f; sent %s to %s", tail.size(), hops[0], hops[1], hops[2], utcTime(firstSend),
        utcTime(lastSend));
  }

  /** The near region's collections that ended while the crowd's calls were out (its stalls show here). */
  static String nearCollections(LoadResult crowd, Path gcLog) throws java.io.IOException {
    long fromMicros = crowd.records().stream().mapToLong(RequestRecord::sendMicros).min().orElse(0);
    long toMicros = crowd.records().stream().mapToLong(x -> x.sendMicros() + x.latencyMicros()).max().orElse(0);
    List<NodeGcLog.Collection> cycles = NodeGcLog.endedBetween(gcLog, Instant.ofEpochSecond(0, fromMicros * 1000),
        Instant.ofEpochSecond(0, toMicros * 1000));
    StringBuilder line = new StringBuilder("near region's collections that ended in the run: " + cycles.size());
    for (NodeGcLog.Collection c : cycles) {
      line.append("; ").append(utcTime(c.end().toEpochMilli() * 1000)).append(' ').append(c.summary());
    }
    return line.toString();
  }

  private static String utcTime(long epochMicros) {
    return DateTimeFormatter.ISO_LOCAL_TIME.format(Instant.ofEpochSecond(0, epochMicros * 1000)
        .atOffset(ZoneOffset.UTC).toLocalTime().truncatedTo(ChronoUnit.MILLIS)) + "Z";
  }

  /** Failed calls by gRPC code, e.g. {RESOURCE_EXHAUSTED=14901}. */
  public static java.util.Map<String, Long> errorCodes(LoadResult r) {
    return r.records().stream().filter(x -> x.outcome() == RecordOutcome.ERROR)
        .collect(java.util.stream.Collectors.groupingBy(RequestRecord::errorCode, java.util.TreeMap::new,
            java.util.stream.Collectors.counting()));
  }

  private void summary(String name, int at, List<double[]> alone, List<double[]> abused) {
    double[] a = alone.stream().mapToDouble(x -> x[at]).sorted().toArray();
    double[] b = abused.stream().mapToDouble(x -> x[at]).sorted().toArray();
    out.printf(Locale.ROOT, "crowd %s over %d runs (min/median/max): alone %.2f/%.2f/%.2f ms, with abuser %.2f/%.2f/%.2f ms;"
        + " median with/alone %.2f%n", name, a.length, a[0], a[a.length / 2], a[a.length - 1], b[0], b[b.length / 2],
        b[b.length - 1], b[b.length / 2] / a[a.length / 2]);
  }
}
