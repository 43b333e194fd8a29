package flashsale.client.bench;

import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.ModeStores;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunResult;
import flashsale.store.ArbiterStores;
import flashsale.v1.EventMode;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flashsale compare}: the three modes side by side on one machine and one workload. A near
 * region and a far region (behind a delayed link to the arbiter and the central store) take the
 * same burst, in which the far region's users send earlier on average; per mode it prints winner
 * precision, inversions, win shares against the ideal, decision latency and purchases per second.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Runs GLOBAL_ORDER, SHARDED and CENTRAL on the same burst and prints their fairness and speed.")
public final class CompareCommand implements Callable<Integer> {
  static final List<EventMode> MODES =
      List.of(EventMode.EVENT_MODE_GLOBAL_ORDER, EventMode.EVENT_MODE_SHARDED, EventMode.EVENT_MODE_CENTRAL);

  @Option(names = "--redis-port", description = "Loopback Redis 7 for the central pool and both shards (default: ${DEFAULT-VALUE}).")
  int redisPort = 6379;

  @Option(names = "--far-delay-ms", description = "One-way delay of the far region's links (default: ${DEFAULT-VALUE}).")
  long farDelayMs = 30;

  @Option(names = "--stock", description = "Units per event (default: ${DEFAULT-VALUE}).")
  long stock = 100;

  @Option(names = "--per-region", description = "Purchases per region in the burst (default: ${DEFAULT-VALUE}).")
  int perRegion = 300;

  @Option(names = "--spread-ms", description = "Each region's sends spread over this long (default: ${DEFAULT-VALUE}).")
  long spreadMs = 40;

  @Option(names = "--far-lead-ms", description = "How much earlier the far region starts sending (default: ${DEFAULT-VALUE}).")
  long farLeadMs = 10;

  @Option(names = "--seed", description = "Seed of the send offsets (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Override
  public Integer call() throws Exception {
    var regions = List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", farDelayMs, Duration.ZERO));
    var stores = new ModeStores(redisPort, Map.of("near", redisPort, "far", redisPort));
    try (var cluster = LocalCluster.start(ArbiterStores.open(null), regions, 2, stores)
        .awaitConnected(Duration.ofSeconds(30)).awaitServing(Duration.ofSeconds(60))) {
      compare(cluster, 1_000, 1_000, 400, Map.of(), seed); // warm-up: a cold JVM stamps its first bursts late
      FairnessReport report = compare(cluster, stock, perRegion, spreadMs, Map.of("far", farLeadMs * 1000), seed);
      System.out.printf("setup: near 0 ms and far %d ms one way; stock %d; %d purchases per region over %d ms,"
          + " far starting %d ms earlier; seed %d%n", farDelayMs, stock, perRegion, spreadMs, farLeadMs, seed);
      System.out.println(report.table());
      System.out.println(report.verdict());
    }
    return 0;
  }

  /** Runs every mode on the same plan against {@code cluster}; one report column per mode. */
  public static FairnessReport compare(LocalCluster cluster, long stock, int perRegion, long spreadMs,
      Map<String, Long> leadMicros, long seed) throws InterruptedException {
    Map<String, Channel> channels = new LinkedHashMap<>();
    List<ManagedChannel> opened = new ArrayList<>();
    for (String region : cluster.regionNames()) {
      ManagedChannel c = Grpc.newChannelBuilder(cluster.regionTarget(region), InsecureChannelCredentials.create()).build();
      opened.add(c);
      channels.put(region, c);
    }
    ManagedChannel admin = Grpc.newChannelBuilder(cluster.arbiterTarget(), InsecureChannelCredentials.create()).build();
    opened.add(admin);
    try {
      var driver = new BurstDriver(channels, Duration.ofSeconds(20), cluster.wireLog()::wireMicrosOrZero);
      String runId = Long.toString(System.currentTimeMillis(), 36);
      List<RunResult> runs = new ArrayList<>();
      for (EventMode mode : MODES) {
        var plan = BurstPlan.of(runId + mode.getNumber(), cluster.regionNames(), perRegion, spreadMs * 1000, leadMicros, seed);
        runs.add(ModeRun.run(admin, driver, mode, "cmp-" + runId + "-" + mode.getNumber(), stock, cluster.regionNames(), plan));
      }
      return FairnessReport.of(runs, FairnessReport.DEFAULT_CLOCK_BOUND_MICROS);
    } finally {
      opened.forEach(ManagedChannel::shutdownNow);
    }
  }
}
