package flashsale.arbiter.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.arbiter.cluster.LeaderState;
import flashsale.arbiter.core.RegionNodeStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** With leadership partitions, each partition's role is its own series: one nobody leads shows as 0. */
class ArbiterGaugesTest {
  static final ArbiterGauges.RegionStatuses NO_REGIONS = query -> CompletableFuture.completedFuture(List.of());

  private static RegionNodeStatus region(String region, long watermarkMicros) {
    return new RegionNodeStatus(region, "n1", true, OptionalLong.of(watermarkMicros), OptionalLong.of(0),
        OptionalLong.empty(), false, false, 0);
  }

  @Test
  void eachLedPartitionReportsItsOwnViewOfEachRegionNode() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    long nowMicros = 10_000_000;
    // Partition 0 hears far up to 1 s ago, partition 1 up to 3 s ago; partition 2 stopped leading
    // as it was asked, partition 3's loop is stalled and never answers, partition 4 is led elsewhere.
    ArbiterGauges.RegionStatuses p0 = q -> CompletableFuture.completedFuture(List.of(region("far", nowMicros - 1_000_000)));
    ArbiterGauges.RegionStatuses p1 = q -> CompletableFuture.completedFuture(List.of(region("far", nowMicros - 3_000_000)));
    ArbiterGauges.RegionStatuses p2 = q -> CompletableFuture.failedFuture(new IllegalStateException("not led here"));
    ArbiterGauges.RegionStatuses p3 = q -> new CompletableFuture<>();
    try (var gauges = new ArbiterGauges(registry, () -> LeaderState.LEADING, () -> 7,
        List.of(new ArbiterGauges.PartitionRole(0, () -> LeaderState.LEADING, () -> 7, p0, () -> 0),
            new ArbiterGauges.PartitionRole(1, () -> LeaderState.LEADING, () -> 7, p1, () -> 0),
            new ArbiterGauges.PartitionRole(2, () -> LeaderState.LEADING, () -> 5, p2, () -> 0),
            new ArbiterGauges.PartitionRole(3, () -> LeaderState.LEADING, () -> 5, p3, () -> 0),
            new ArbiterGauges.PartitionRole(4, () -> LeaderState.STANDBY, () -> 5, NO_REGIONS, () -> 0)), () -> 0, () -> nowMicros)) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (registry.find("flashsale_region_watermark_lag_seconds").gauges().size() < 2) {
        if (System.nanoTime() > deadline) throw new AssertionError("not sampled: " + registry.getMetersAsString());
        Thread.sleep(10);
      }
      assertEquals(1.0, registry.get("flashsale_region_watermark_lag_seconds").tags("region", "far", "partition", "0")
          .gauge().value(), 1e-9);
      assertEquals(3.0, registry.get("flashsale_region_watermark_lag_seconds").tags("region", "far", "partition", "1")
          .gauge().value(), 1e-9, "a partition behind shows on its own series, not hidden by the first led one");
      assertEquals(2, registry.find("flashsale_region_connected").gauges().size(),
          "rows of the answering partitions only, not held up by the stalled one");
    }
  }
  /** A loop that stalls keeps its rows, and their lag grows: when the frontier is behind, the page must hold. */
  @Test
  void aStalledLoopsRowsStayAndTheirLagGrows() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    java.util.concurrent.atomic.AtomicLong nowMicros = new java.util.concurrent.atomic.AtomicLong(10_000_000);
    java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
    ArbiterGauges.RegionStatuses p0 = q -> stalled.get() ? new CompletableFuture<>()
        : CompletableFuture.completedFuture(List.of(region("far", 9_000_000)));
    try (var gauges = new ArbiterGauges(registry, () -> LeaderState.LEADING, () -> 7,
        List.of(new ArbiterGauges.PartitionRole(0, () -> LeaderState.LEADING, () -> 7, p0, () -> 0)), () -> 0, nowMicros::get)) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (registry.find("flashsale_region_watermark_lag_seconds").gauges().isEmpty()) {
        if (System.nanoTime() > deadline) throw new AssertionError("not sampled: " + registry.getMetersAsString());
        Thread.sleep(10);
      }
      stalled.set(true);
      nowMicros.set(20_000_000);
      var lag = registry.get("flashsale_region_watermark_lag_seconds").tags("region", "far", "partition", "0");
      while (lag.gauge().value() < 11.0 - 1e-9) {
        if (System.nanoTime() > deadline) throw new AssertionError("lag not grown: " + registry.getMetersAsString());
        Thread.sleep(10);
      }
      Thread.sleep(3 * ArbiterGauges.SAMPLE_MS); // more rounds of the stalled loop
      assertEquals(11.0, registry.get("flashsale_region_watermark_lag_seconds").tags("region", "far", "partition", "0")
          .gauge().value(), 1e-9, "the row stays, its lag read from the last watermark the loop gave");
    }
  }

  /** A loop that answers, only late (600 ms under a burst): its answers still count, the lag stays what it is. */
  @Test
  void aLoopThatAnswersLateStillMovesItsRows() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    java.util.function.LongSupplier wallMicros = () -> System.currentTimeMillis() * 1_000;
    java.util.concurrent.atomic.AtomicBoolean late = new java.util.concurrent.atomic.AtomicBoolean();
    ArbiterGauges.RegionStatuses p0 = q -> {
      if (!late.get()) return CompletableFuture.completedFuture(List.of(region("far", wallMicros.getAsLong())));
      // The loop is behind: its answer, with the watermark it holds then, comes 600 ms after the ask.
      return CompletableFuture.supplyAsync(() -> List.of(region("far", wallMicros.getAsLong())),
          CompletableFuture.delayedExecutor(600, java.util.concurrent.TimeUnit.MILLISECONDS));
    };
    try (var gauges = new ArbiterGauges(registry, () -> LeaderState.LEADING, () -> 7,
        List.of(new ArbiterGauges.PartitionRole(0, () -> LeaderState.LEADING, () -> 7, p0, () -> 0)), () -> 0, wallMicros)) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (registry.find("flashsale_region_watermark_lag_seconds").gauges().isEmpty()) {
        if (System.nanoTime() > deadline) throw new AssertionError("not sampled: " + registry.getMetersAsString());
        Thread.sleep(10);
      }
      late.set(true);
      Thread.sleep(5 * ArbiterGauges.SAMPLE_MS);
      double lag = registry.get("flashsale_region_watermark_lag_seconds").tags("region", "far").gauge().value();
      org.junit.jupiter.api.Assertions.assertTrue(lag < 2.5, "lag " + lag + " s: the late answers' watermarks were dropped");
    }
  }

  @Test
  void aNodeLeftOutForSilenceShowsNoLagThatCouldPageForever() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    long nowMicros = 10_000_000;
    // "old" was replaced (a new pod, a new node id) an hour ago: disconnected and left out of the frontier.
    var gone = new RegionNodeStatus("far", "old", false, OptionalLong.of(nowMicros - 3_600_000_000L), OptionalLong.of(0),
        OptionalLong.empty(), false, true, 1);
    var waited = new RegionNodeStatus("near", "n2", false, OptionalLong.of(nowMicros - 1_500_000), OptionalLong.of(0),
        OptionalLong.empty(), false, false, 0);
    ArbiterGauges.RegionStatuses p0 = q -> CompletableFuture.completedFuture(List.of(region("far", nowMicros - 1_000), gone, waited));
    try (var gauges = new ArbiterGauges(registry, () -> LeaderState.LEADING, () -> 7,
        List.of(new ArbiterGauges.PartitionRole(0, () -> LeaderState.LEADING, () -> 7, p0, () -> 0)), () -> 0, () -> nowMicros)) {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (registry.find("flashsale_region_connected").gauges().size() < 2) {
        if (System.nanoTime() > deadline) throw new AssertionError("not sampled: " + registry.getMetersAsString());
        Thread.sleep(10);
      }
      assertEquals(List.of("n1", "n2"), registry.find("flashsale_region_watermark_lag_seconds").gauges().stream()
          .map(g -> g.getId().getTag("node")).sorted().toList(), "no lag row for the node left out");
      assertEquals(1.5, registry.get("flashsale_region_watermark_lag_seconds").tags("node", "n2").gauge().value(), 1e-9,
          "a disconnected node still waited for shows its lag");
      assertEquals(List.of("n1", "n2"), registry.find("flashsale_region_connected").gauges().stream()
          .map(g -> g.getId().getTag("node")).sorted().toList());
      assertEquals(2, registry.find("flashsale_region_clock_offset_seconds").gauges().size());
    }
  }

  @Test
  void eachPartitionReportsItsOwnLeadershipAndEpoch() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicReference<LeaderState> second = new AtomicReference<>(LeaderState.STANDBY);
    try (var gauges = new ArbiterGauges(registry, () -> LeaderState.LEADING, () -> 7,
        List.of(new ArbiterGauges.PartitionRole(0, () -> LeaderState.LEADING, () -> 7, NO_REGIONS, () -> 0),
            new ArbiterGauges.PartitionRole(1, second::get, () -> 3, NO_REGIONS, () -> 0)), () -> 0, () -> 0)) {
      assertEquals(1.0, registry.get("flashsale_leader").gauge().value(), "the node leads a partition");
      assertEquals(1.0, registry.get("flashsale_partition_leader").tag("partition", "0").gauge().value());
      assertEquals(0.0, registry.get("flashsale_partition_leader").tag("partition", "1").gauge().value(),
          "partition 1 has no leader here, whatever the node-level gauge says");
      assertEquals(3.0, registry.get("flashsale_partition_lease_epoch").tag("partition", "1").gauge().value());
      second.set(LeaderState.LEADING);
      assertEquals(1.0, registry.get("flashsale_partition_leader").tag("partition", "1").gauge().value());
    }
  }
}
