package flashsale.client.bench;

import flashsale.client.bench.ScaleBenchmark.Result;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** The scale benchmark's printed figures: throughput, latency, and CPU per decision by process. */
final class ScaleReport {
  /** Linux counts /proc/stat in USER_HZ ticks, 100 a second on every mainstream kernel. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private ScaleReport() {}

  static void print(PrintStream out, Result r) {
    out.printf("%s (%s): %,.0f decided purchases/s over %.1f s (%,d decided, %d failed); p50 %.1f ms, p99 %.1f ms%n",
        r.shape().name(), r.shape().describe(), r.perSecond(), r.seconds(), r.decided(), r.failed(),
        r.latencyMicros().getValueAtPercentile(50) / 1000.0, r.latencyMicros().getValueAtPercentile(99) / 1000.0);
    out.printf("  %-22s %12s %14s%n", "process", "µs/decision", "cores busy");
    long sum = 0;
    for (var e : r.cpuNanos().entrySet()) {
      sum += e.getValue();
      row(out, r, e.getKey(), e.getValue());
    }
    row(out, r, "sum of the above", sum);
    row(out, r, "rest of the machine", Math.max(0, r.machineBusyNanos() - sum));
    if (r.shape().arbiters() > 1 && r.shape().partitions() < r.shape().arbiters()) {
      out.println("  leadership in " + r.shape().partitions() + " partition(s) over " + r.shape().arbiters()
          + " arbiters: some arbiter only stands by (tries the leases)");
    } else if (r.shape().arbiters() > 1) {
      out.println("  leadership in " + r.shape().partitions() + " partitions, shared evenly by the " + r.shape().arbiters()
          + " arbiters: each leads its share of the events");
    }
  }

  private static void row(PrintStream out, Result r, String name, long cpuNanos) {
    double perDecision = r.decided() == 0 ? Double.NaN : cpuNanos / 1000.0 / r.decided();
    out.printf("  %-22s %12.1f %14.2f%n", name, perDecision, cpuNanos / 1e9 / r.seconds());
  }

  static void printRatio(PrintStream out, Result small, Result big) {
    out.printf("ratio big/small: %.2f (%,.0f / %,.0f decided purchases/s) on %d cores%n",
        big.perSecond() / small.perSecond(), big.perSecond(), small.perSecond(), Runtime.getRuntime().availableProcessors());
  }

  /** Busy CPU time of the whole machine so far (all cores, idle and iowait left out); 0 where there is no /proc/stat. */
  static long machineBusyNanos() {
    try {
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
      long[] ticks = Arrays.stream(cpu.trim().split("\\s+")).skip(1).limit(8).mapToLong(Long::parseLong).toArray();
      long total = Arrays.stream(ticks).sum();
      return (total - ticks[3] - ticks[4]) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
