package flashsale.client.lab;

import flashsale.client.bench.AbuserBenchmark;
import flashsale.client.bench.AuctionBenchmark;
import flashsale.client.bench.CompareCommand;
import flashsale.client.bench.GlobalOrderBenchmark;
import flashsale.client.bench.IdleEventsBenchmark;
import flashsale.client.bench.PendingMemoryBenchmark;
import flashsale.client.bench.ScaleBenchmark;
import flashsale.client.cli.FlashSaleCli;
import java.util.List;
import picocli.CommandLine;

/**
 * The full {@code flashsale} command ({@code client/bin/flashsale}): the cluster commands of
 * {@link FlashSaleCli} plus what runs a cluster on this machine: the demo, the load generator and
 * its fairness report, and the benchmarks.
 */
public final class FlashSaleLab {
  private FlashSaleLab() {}

  /** A fully configured command line; tests set its out/err writers and call {@code execute}. */
  public static CommandLine commandLine() {
    return FlashSaleCli.commandLine(List.of(
        LoadgenCommand.class, LoadgenCeilingCommand.class, ReportCommand.class, DemoCommand.class,
        CompareCommand.class, GlobalOrderBenchmark.class, AuctionBenchmark.class, PendingMemoryBenchmark.class, IdleEventsBenchmark.class,
        ScaleBenchmark.class, AbuserBenchmark.class, DelayProxyCommand.class));
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
