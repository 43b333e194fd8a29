package flashsale.client.lab;

import flashsale.client.cli.ExitCodes;
import flashsale.client.demo.DemoSettings;
import flashsale.client.demo.FlashSaleDemo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashsale demo}: the whole system on loopback, every mode on one burst, side by side. */
@Command(
    name = "demo",
    description = {
      "Start an arbiter and a near and a far region in this process, run the same flash-sale burst",
      "through every sale mode, and print how fairly each one treated the far region.",
      "Also writes a self-contained HTML report with plots."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--redis", description = "Loopback Redis (redis://127.0.0.1:PORT) for every store (default: in-memory arbiter store, and a throw-away redis-server for SHARDED and CENTRAL if one is installed).")
  String redisUri;

  @Option(names = "--near-delay-ms", defaultValue = "1", description = "Near region's one-way delay to the arbiter (default: ${DEFAULT-VALUE}).")
  long nearDelayMs;

  @Option(names = "--far-delay-ms", defaultValue = "30", description = "Far region's one-way delay to the arbiter (default: ${DEFAULT-VALUE}).")
  long farDelayMs;

  @Option(names = "--far-skew-us", defaultValue = "300", description = "Far region's clock error in microseconds (default: ${DEFAULT-VALUE}).")
  long farSkewMicros;

  @Option(names = "--stock", defaultValue = "100", description = "Units for sale per mode (default: ${DEFAULT-VALUE}).")
  int stock;

  @Option(names = "--per-region", defaultValue = "500", description = "Purchases per region per mode, one per buyer (default: ${DEFAULT-VALUE}).")
  int perRegion;

  @Option(names = "--spread-ms", defaultValue = "100", description = "Each region's purchases arrive over this long (default: ${DEFAULT-VALUE}).")
  long spreadMs;

  @Option(names = "--far-lead-ms", defaultValue = "10", description = "How much earlier the far region's buyers start (default: ${DEFAULT-VALUE}).")
  long farLeadMs;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the send times (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--clock-bound-us", defaultValue = "1000", description = "Send times closer than this are ties for inversions (default: ${DEFAULT-VALUE}).")
  long clockBoundMicros;

  @Option(names = "--html", defaultValue = "flashsale-report.html", description = "Where to write the HTML report (default: ${DEFAULT-VALUE}).")
  Path html;

  @Option(names = "--no-progress", description = "Do not draw the progress bar on stderr.")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    var settings =
        new DemoSettings(
            redisUri, nearDelayMs, farDelayMs, Duration.ofNanos(farSkewMicros * 1000), stock, perRegion,
            Duration.ofMillis(spreadMs), Duration.ofMillis(farLeadMs), seed, clockBoundMicros, html);
    var out = spec.commandLine().getOut();
    long startNanos = System.nanoTime();
    var report =
        new FlashSaleDemo(settings, out)
            .run(progress -> noProgress ? () -> {} : new ProgressBar(spec.commandLine().getErr(), progress));
    out.println();
    out.println(report.table());
    out.println(report.verdict());
    out.println();
    out.printf(Locale.ROOT, "HTML report: %s%n", html.toAbsolutePath());
    out.printf(Locale.ROOT, "demo took %.1f s%n", (System.nanoTime() - startNanos) / 1e9);
    out.flush();
    return ExitCodes.OK;
  }
}
