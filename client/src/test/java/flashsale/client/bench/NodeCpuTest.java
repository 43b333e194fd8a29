package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeCpuTest {
  @Test
  void coresAreCpuSecondsPerSecondOfTheRun() {
    var used = new NodeCpu.Used(Optional.of(Duration.ofMillis(4_500)), 15.0);
    assertEquals(0.30, used.cores().orElseThrow(), 1e-9);
    assertEquals("4.50 s over 15.0 s (0.30 cores)", used.describe());
  }

  /** 0.8 cores with the abuser against 0.3 alone, over 15 s: 7.5 s more, over 45,000 calls: 167 us each. */
  @Test
  void theAbusersShareIsTheCpuBeyondTheCrowdAloneScaledToTheAbusedRun() {
    var alone = new NodeCpu.Used(Optional.of(Duration.ofMillis(4_500)), 15.0);
    var abused = new NodeCpu.Used(Optional.of(Duration.ofMillis(12_000)), 15.0);
    var abuser = new AbuseRun.Abuser(45_000, Map.of("RESOURCE_EXHAUSTED", 45_000L), 15_000_000, 15_000_000);
    List<Double> perCall = new ArrayList<>();
    assertEquals("; beyond the crowd alone, 167 us per abuser call",
        AbuserBenchmark.extraPerAbuserCall(abused, alone, abuser, perCall));
    assertEquals(List.of(7.5e6 / 45_000), perCall);
  }

  @Test
  void withoutTheOsCountNothingIsClaimed() {
    var unknown = new NodeCpu.Used(Optional.empty(), 15.0);
    var alone = new NodeCpu.Used(Optional.of(Duration.ofSeconds(4)), 15.0);
    var abuser = new AbuseRun.Abuser(45_000, Map.of(), 15_000_000, 15_000_000);
    List<Double> perCall = new ArrayList<>();
    assertEquals("", AbuserBenchmark.extraPerAbuserCall(unknown, alone, abuser, perCall));
    assertEquals("not known (no CPU count from the OS)", unknown.describe());
    assertEquals(List.of(), perCall);
  }
}
