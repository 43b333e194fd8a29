package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.core.ClockOffsetEstimator.ClockSample;
import org.junit.jupiter.api.Test;

class ClockOffsetEstimatorTest {

  /** Region 100 us ahead of the arbiter, 10 us each way, 5 us at the arbiter. */
  @Test
  void ntpArithmeticRecoversOffsetAndRoundTrip() {
    assertEquals(new ClockSample(100, 20), ClockOffsetEstimator.sample(1000, 910, 915, 1025));
  }

  @Test
  void regionBehindTheArbiterHasANegativeOffset() {
    // Region 300 us behind; 40 us out, 60 us back: the estimate is off by half the asymmetry (10 us).
    long t1 = 5_000;
    long t2 = t1 + 300 + 40;
    long t3 = t2 + 10;
    long t4 = t3 - 300 + 60;
    assertEquals(new ClockSample(-290, 100), ClockOffsetEstimator.sample(t1, t2, t3, t4));
  }

  @Test
  void estimateIsTheMinimumRoundTripSampleOfTheWindow() {
    ClockOffsetEstimator e = new ClockOffsetEstimator(3);
    assertTrue(e.estimate().isEmpty());
    e.add(0, 50, 50, 200);     // rtt 200, offset 50
    e.add(1000, 1010, 1010, 1030); // rtt 30, offset 5
    e.add(2000, 2100, 2100, 2120); // rtt 120, offset -40
    assertEquals(new ClockSample(5, 30), e.estimate().orElseThrow());
  }

  @Test
  void oldSamplesLeaveTheWindow() {
    ClockOffsetEstimator e = new ClockOffsetEstimator(2);
    e.add(0, 0, 0, 10);            // rtt 10, the best, but about to age out
    e.add(100, 100, 100, 140);     // rtt 40
    e.add(200, 190, 190, 260);     // rtt 60, offset 40
    assertEquals(new ClockSample(20, 40), e.estimate().orElseThrow());
  }

  @Test
  void sampleWithNegativeRoundTripIsNotKept() {
    ClockOffsetEstimator e = new ClockOffsetEstimator(4);
    ClockSample bogus = e.add(0, 0, 500, 100);
    assertEquals(-400, bogus.roundTripMicros());
    assertTrue(e.estimate().isEmpty());
  }

  @Test
  void verdictIsHeldUntilTheArbiterChangesIt() {
    ClockOffsetEstimator e = new ClockOffsetEstimator(4);
    assertFalse(e.flagged());
    e.verdict(true, "off by 50 ms");
    assertTrue(e.flagged());
    assertEquals("off by 50 ms", e.verdictMessage());
    e.verdict(false, null);
    assertFalse(e.flagged());
    assertEquals("", e.verdictMessage());
  }
}
