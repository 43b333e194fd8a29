package flashsale.arbiter.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.arbiter.cluster.LeaderState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** With leadership partitions, each partition's role is its own series: one nobody leads shows as 0. */
class ArbiterGaugesTest {
  @Test
  void eachPartitionReportsItsOwnLeadershipAndEpoch() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicReference<LeaderState> second = new AtomicReference<>(LeaderState.STANDBY);
    try (var gauges = new ArbiterGauges(registry, () -> LeaderState.LEADING, () -> 7,
        List.of(new ArbiterGauges.PartitionRole(0, () -> LeaderState.LEADING, () -> 7),
            new ArbiterGauges.PartitionRole(1, second::get, () -> 3)), () -> 0,
        query -> CompletableFuture.completedFuture(List.of()), () -> 0)) {
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
