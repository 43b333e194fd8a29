package flashsale.client.lab;

import flashsale.client.FlashSaleChannels;
import flashsale.client.cli.ExitCodes;
import flashsale.client.cli.TimeArgs;
import flashsale.client.load.ArrivalPattern;
import flashsale.client.load.ClientDelay;
import flashsale.client.load.LoadConfig;
import flashsale.client.load.LoadGenerator;
import flashsale.client.load.LoadResult;
import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RegionTarget;
import flashsale.client.load.ResultsFile;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashsale loadgen}: drives region nodes and records every request for the report. */
@Command(
    name = "loadgen",
    description = {
      "Drive region nodes with many purchases in flight and record every request.",
      "Records each request's true send time, outcome, rank, arrival stamp, decide time and latency",
      "to CSV or JSON (by --out's extension).",
      "User k lives in region k mod (number of regions); give --users >= rate x duration so each",
      "user sends once, as the fairness report assumes."
    })
final class LoadgenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--region", required = true, paramLabel = "NAME=HOST:PORT",
      description = "A region node to send to (repeat for each region).")
  Map<String, String> regions;

  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Option(names = "--users", required = true, description = "Distinct users.")
  int users;

  @Option(names = "--rate", required = true, description = "Requests per second (burst: total = rate x duration, all at once).")
  double ratePerSecond;

  @Option(names = "--duration", required = true, converter = TimeArgs.DurationConverter.class,
      description = "Length of the run, e.g. 10s (a bare number is seconds).")
  Duration duration;

  @Option(names = "--pattern", defaultValue = "burst", description = "burst, ramp or poisson (default: ${DEFAULT-VALUE}).")
  ArrivalPattern pattern;

  @Option(names = "--concurrency", defaultValue = "256", description = "Most calls in flight (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--deadline", defaultValue = "30s", converter = TimeArgs.DurationConverter.class,
      description = "Deadline per call (default: ${DEFAULT-VALUE}).")
  Duration deadline;

  @Option(names = "--seed", defaultValue = "1",
      description = "Seed of the poisson schedule and of a reservation's slots asked (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "results.csv or results.json")
  Path out;

  @Option(names = "--no-progress", description = "Do not draw the progress bar on stderr.")
  boolean noProgress;

  @Option(names = "--tap", description = {
      "Send through a zero-delay wire tap per region, in this process, and record when each request's bytes",
      "reached it (wire_micros): the ground truth the report ranks by. Run the load generator on the region's",
      "host for it to mean arrival at the region."})
  boolean tap;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path folder = out.toAbsolutePath().getParent();
    if (folder != null && !Files.isDirectory(folder)) {
      // Checked up front: finding out after the run would lose every record.
      throw new IllegalArgumentException("--out folder " + folder + " does not exist");
    }
    List<ManagedChannel> channels = new ArrayList<>();
    List<flashsale.client.wire.WireTap> taps = new ArrayList<>();
    flashsale.client.wire.WireLog wireLog = new flashsale.client.wire.WireLog();
    try {
      List<RegionTarget> targets = new ArrayList<>();
      for (var region : regions.entrySet()) {
        String target = region.getValue();
        if (tap) {
          var address = java.net.URI.create("tcp://" + target);
          if (address.getHost() == null || address.getPort() < 0) throw new IllegalArgumentException("--tap needs HOST:PORT targets, got " + target);
          var wireTap = new flashsale.client.wire.WireTap(new java.net.InetSocketAddress(address.getHost(), address.getPort()), wireLog,
              java.time.InstantSource.system());
          taps.add(wireTap);
          target = wireTap.address();
        }
        ManagedChannel channel = FlashSaleChannels.forTarget(target);
        channels.add(channel);
        targets.add(new RegionTarget(region.getKey(), channel));
      }
      LoadConfig config = new LoadConfig(eventId, targets, users, ratePerSecond, duration, pattern,
          maxInFlight, deadline, seed, ClientDelay.NONE);
      LoadGenerator generator = new LoadGenerator(config, java.time.InstantSource.system(), wireLog::wireMicrosOrZero);
      LoadResult result;
      if (noProgress) {
        result = generator.run();
      } else {
        try (ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), generator::progress)) {
          result = generator.run();
        }
      }
      ResultsFile.write(out, result.records());
      printSummary(result, spec.commandLine().getOut());
      return ExitCodes.OK;
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      taps.forEach(flashsale.client.wire.WireTap::close);
    }
  }

  private void printSummary(LoadResult result, PrintWriter stdout) {
    stdout.printf("wrote %d records to %s%n", result.records().size(), out);
    stdout.printf("won %d  lost %d  pending %d  errors %d%n", result.count(RecordOutcome.WON),
        result.count(RecordOutcome.LOST), result.count(RecordOutcome.PENDING), result.count(RecordOutcome.ERROR));
    stdout.printf(Locale.ROOT, "throughput %.1f answered/s  decision latency p50 %.3f ms  p99 %.3f ms%n",
        result.throughputPerSecond(), result.latencyMicros().getValueAtPercentile(50) / 1000.0,
        result.latencyMicros().getValueAtPercentile(99) / 1000.0);
  }
}
