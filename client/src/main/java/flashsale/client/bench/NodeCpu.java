package flashsale.client.bench;

import flashsale.client.cluster.JarCluster;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/** The CPU a node process used over one run of a benchmark, from the OS's count (all its threads). */
final class NodeCpu {
  private final JarCluster cluster;
  private final String node;
  private final Optional<Duration> cpuAtStart;
  private final long startNanos = System.nanoTime();

  private NodeCpu(JarCluster cluster, String node) {
    this.cluster = cluster;
    this.node = node;
    this.cpuAtStart = cluster.cpuTime(node);
  }

  static NodeCpu start(JarCluster cluster, String node) {
    return new NodeCpu(cluster, node);
  }

  Used stop() {
    double wallSeconds = (System.nanoTime() - startNanos) / 1e9;
    Optional<Duration> now = cluster.cpuTime(node);
    Optional<Duration> used = cpuAtStart.isPresent() && now.isPresent()
        ? Optional.of(now.get().minus(cpuAtStart.get())) : Optional.empty();
    return new Used(used, wallSeconds);
  }

  /** CPU used (empty where the OS does not say) over {@code wallSeconds}. */
  record Used(Optional<Duration> cpu, double wallSeconds) {
    /** Cores busy on average: CPU seconds per second of the run. */
    Optional<Double> cores() {
      return cpu.map(c -> c.toNanos() / 1e9 / wallSeconds);
    }

    String describe() {
      return cpu.map(c -> String.format(Locale.ROOT, "%.2f s over %.1f s (%.2f cores)", c.toNanos() / 1e9, wallSeconds,
          cores().orElseThrow())).orElse("not known (no CPU count from the OS)");
    }
  }
}
