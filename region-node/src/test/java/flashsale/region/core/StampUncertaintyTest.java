package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What a ticket reports as its stamp's error bound: the clock's bound plus the stamping bound. */
class StampUncertaintyTest {

  @Test
  void theHostSyncsBoundIsUsedWhenTheOperatorGivesIt() {
    var probes = new ClockOffsetEstimator(8);
    probes.add(1_000, 31_000, 31_000, 61_000); // a 60 ms WAN round trip would say +-30 ms
    assertEquals(200 + 500, new StampUncertainty(200, 500, 50).boundMicros(probes, 61_000));
  }

  @Test
  void withoutItTheProbesGiveOffsetPlusHalfTheRoundTripPlusDriftSinceTheProbe() {
    var probes = new ClockOffsetEstimator(8);
    // region sends at 1,000, arbiter stamps 1,400 both ways, region hears back at 1,600: rtt 600, offset -100
    probes.add(1_000, 1_400, 1_400, 1_600);
    var uncertainty = new StampUncertainty(StampUncertainty.FROM_PROBES, 500, 50);
    assertEquals(100 + 300 + 500, uncertainty.boundMicros(probes, 1_600));
    // 10 s later, 50 ppm of drift adds 500 us
    assertEquals(100 + 300 + 500 + 500, uncertainty.boundMicros(probes, 10_001_600));
  }

  @Test
  void beforeAnyProbeTheClockBoundIsUnknownAndLarge() {
    assertEquals(StampUncertainty.UNKNOWN_CLOCK_BOUND_MICROS + 500,
        StampUncertainty.defaults().boundMicros(new ClockOffsetEstimator(8), 0));
  }
}
