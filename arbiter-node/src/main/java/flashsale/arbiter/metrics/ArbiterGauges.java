package flashsale.arbiter.metrics;

import flashsale.arbiter.cluster.LeaderState;
import flashsale.arbiter.core.RegionNodeStatus;
import flashsale.arbiter.core.Sequencer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The arbiter's gauges: whether it leads, its lease epoch (for the node and per leadership
 * partition), and per region node and partition this node leads (once the node has spoken to it)
 * the watermark lag, the clock offset and whether its stream is open. Region figures are sampled
 * from each partition's sequencer loop every {@value #SAMPLE_MS} ms, off the scrape, so a scrape
 * never waits on a loop.
 */
public final class ArbiterGauges implements AutoCloseable {
  static final long SAMPLE_MS = 1_000;

  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().name("arbiter-gauges").unstarted(r));
  private final LiveRows watermarkLag;
  private final LiveRows clockOffset;
  private final LiveRows connected;

  /** Asks a partition's sequencer loop for its regions' statuses; fails while the partition is not led here. */
  public interface RegionStatuses
      extends Function<Function<Sequencer, List<RegionNodeStatus>>, CompletableFuture<List<RegionNodeStatus>>> {}

  /**
   * One leadership partition's role on this node: each has its own lease and epoch, and, while led
   * here, its own view of the regions (each partition's stream from a region node is its own).
   */
  public record PartitionRole(int partition, Supplier<LeaderState> state, LongSupplier epoch, RegionStatuses statuses,
      IntSupplier queuedTasks) {}

  /**
   * @param state the node's role (with partitions: the most advanced of them)
   * @param epoch the node's highest lease epoch
   * @param partitions each partition's role, for the per-partition series
   * @param staleCredentialFiles how many credential files hold a change that did not load
   * @param nowMicros the arbiter's clock
   */
  public ArbiterGauges(MeterRegistry registry, Supplier<LeaderState> state, LongSupplier epoch, List<PartitionRole> partitions,
      IntSupplier staleCredentialFiles, LongSupplier nowMicros) {
    // Per partition: with several, a partition nobody leads hides behind a node that leads another.
    for (PartitionRole p : partitions) {
      String partition = Integer.toString(p.partition());
      Gauge.builder("flashsale_partition_leader", () -> p.state().get() == LeaderState.LEADING ? 1 : 0)
          .tag("partition", partition)
          .description("1 while this arbiter leads the partition (holds its lease and has loaded its events), else 0")
          .register(registry);
      Gauge.builder("flashsale_partition_lease_epoch", p.epoch()::getAsLong).tag("partition", partition)
          .description("Fencing epoch of the partition's lease this arbiter holds or last held; 0 alone or before any")
          .register(registry);
      Gauge.builder("flashsale_sequencer_queued_tasks", p.queuedTasks()::getAsInt).tag("partition", partition)
          .description("Tasks waiting for the partition's sequencer loop: region messages (past 10,000 of them,"
              + " each region stream adds at most 256 more; the rest wait in its HTTP/2 window), store callbacks and timers")
          .register(registry);
    }
    Gauge.builder("flashsale_credential_files_stale", staleCredentialFiles::getAsInt)
        .description("Token file and JWK set holding a change that was not taken (bad, missing or unreadable): the "
            + "last good tokens still count, so a revocation written there has not taken effect")
        .register(registry);
    Gauge.builder("flashsale_leader", () -> state.get() == LeaderState.LEADING ? 1 : 0)
        .description("1 while this arbiter leads (holds the lease and has loaded its state; with partitions, any "
            + "of them), else 0").register(registry);
    for (LeaderState s : LeaderState.values()) {
      Gauge.builder("flashsale_leader_state", () -> state.get() == s ? 1 : 0).tag("state", s.name().toLowerCase())
          .description("1 for this arbiter's current role").register(registry);
    }
    Gauge.builder("flashsale_lease_epoch", epoch::getAsLong)
        .description("Fencing epoch of the lease this arbiter holds or last held; 0 alone or before any").register(registry);
    watermarkLag = new LiveRows(MultiGauge.builder("flashsale_region_watermark_lag_seconds")
        .description("Arbiter time minus the region's last watermark (offset-corrected): how far behind the region's frontier is")
        .register(registry));
    clockOffset = new LiveRows(MultiGauge.builder("flashsale_region_clock_offset_seconds")
        .description("Region clock minus arbiter clock, as the region last reported").register(registry));
    connected = new LiveRows(MultiGauge.builder("flashsale_region_connected")
        .description("1 while the region's stream to this arbiter is open").register(registry));
    sampler.scheduleWithFixedDelay(() -> sampleLedPartitions(partitions, nowMicros), 0, SAMPLE_MS, TimeUnit.MILLISECONDS);
  }

  /** What each partition's loop answered last (sampler's and loops' threads). */
  private final java.util.Map<Integer, List<RegionNodeStatus>> lastAnswered = new java.util.concurrent.ConcurrentHashMap<>();

  /** One region node as one partition sees it. */
  private record Seen(String partition, RegionNodeStatus status) {}

  private void sampleLedPartitions(List<PartitionRole> partitions, LongSupplier nowMicros) {
    // A partition led no more forgets its rows: led again later, it starts from what its loop says then.
    partitions.stream().filter(p -> p.state().get() != LeaderState.LEADING).forEach(p -> lastAnswered.remove(p.partition()));
    List<CompletableFuture<List<Seen>>> asked = partitions.stream()
        .filter(p -> p.state().get() == LeaderState.LEADING)
        .map(p -> ask(p)
            // An answer that comes after this round gave up on it is still the latest: the next round uses it.
            .whenComplete((answered, failed) -> {
              if (answered != null) lastAnswered.put(p.partition(), answered);
            })
            .exceptionally(notLedAnyMore -> List.of())
            // A stalled loop does not freeze every partition's rows: its own keep what it answered
            // last, so their lag goes on growing from the watermarks read then (when a loop is
            // behind is when the lag page is needed; dropped rows could never hold its "for").
            .completeOnTimeout(null, SAMPLE_MS / 2, TimeUnit.MILLISECONDS)
            .thenApply(answered -> answered != null ? answered : lastAnswered.getOrDefault(p.partition(), List.of()))
            .thenApply(list -> list.stream().map(r -> new Seen(Integer.toString(p.partition()), r)).toList()))
        .toList();
    // Waited for on the sampler's own thread: a late sample never overwrites the next one.
    CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).join();
    sample(asked.stream().flatMap(f -> f.join().stream()).toList(), nowMicros.getAsLong());
  }

  /** A loop that throws at once (stopping) fails only its own future: an exception would end the sampler for good. */
  private static CompletableFuture<List<RegionNodeStatus>> ask(PartitionRole p) {
    try {
      return p.statuses().apply(Sequencer::regionStatuses);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Lag and clock rows only for the nodes in the frontier: one left out for silence holds no
   * decision back, and a node scaled in or replaced (a new pod, a new node id) would otherwise page
   * forever with a lag that only grows. Its connected row stays while it is connected or waited for.
   */
  private void sample(List<Seen> seen, long nowMicros) {
    List<Seen> regions = seen.stream().filter(r -> !r.status().timedOut()).toList();
    watermarkLag.set(regions.stream().filter(r -> r.status().watermarkMicros().isPresent())
        .collect(java.util.stream.Collectors.toMap(ArbiterGauges::tags, r -> (nowMicros
            - (r.status().watermarkMicros().getAsLong() - r.status().clockOffsetMicros().orElse(0))) / 1e6, (a, b) -> b)));
    clockOffset.set(regions.stream().filter(r -> r.status().clockOffsetMicros().isPresent())
        .collect(java.util.stream.Collectors.toMap(ArbiterGauges::tags,
            r -> r.status().clockOffsetMicros().getAsLong() / 1e6, (a, b) -> b)));
    connected.set(seen.stream().filter(r -> r.status().connected() || !r.status().timedOut())
        .collect(java.util.stream.Collectors.toMap(ArbiterGauges::tags, r -> r.status().connected() ? 1.0 : 0.0, (a, b) -> b)));
  }

  /**
   * A multi-gauge whose rows keep their meters from sample to sample, their values updated in place:
   * re-registering every row (Micrometer's overwrite) removed each meter and added it again, and a
   * scrape or a reader in between found the row missing. Used from the sampler's thread only.
   */
  private static final class LiveRows {
    private final MultiGauge gauge;
    private final java.util.Map<Tags, Value> values = new java.util.HashMap<>();

    LiveRows(MultiGauge gauge) {
      this.gauge = gauge;
    }

    /** The rows now: the ones gone are removed, the new ones added, the rest take their new values. */
    void set(java.util.Map<Tags, Double> now) {
      values.keySet().retainAll(now.keySet());
      now.forEach((tags, value) -> values.computeIfAbsent(tags, t -> new Value()).value = value);
      gauge.register(values.entrySet().stream()
          .map(e -> MultiGauge.Row.of(e.getKey(), e.getValue(), Value::get)).toList(), false);
    }

    private static final class Value {
      volatile double value;

      double get() {
        return value;
      }
    }
  }

  /** A region may run several nodes, each its own stream per partition: one row per node and partition. */
  private static Tags tags(Seen r) {
    String node = r.status().node().isEmpty() ? "unnamed" : r.status().node();
    return Tags.of("region", r.status().region(), "node", node, "partition", r.partition());
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
