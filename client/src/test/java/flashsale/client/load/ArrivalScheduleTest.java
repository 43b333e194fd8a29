package flashsale.client.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ArrivalScheduleTest {
  private static final long TEN_SECONDS_MICROS = 10_000_000;

  @Test
  void burstSendsRateTimesDurationAllAtOnce() {
    long[] offsets = ArrivalSchedule.offsetsMicros(ArrivalPattern.BURST, 500, TEN_SECONDS_MICROS, 1);
    assertEquals(5_000, offsets.length);
    assertTrue(Arrays.stream(offsets).allMatch(o -> o == 0));
  }

  @Test
  void rampClimbsSoThatHalfTheRequestsComeInTheLastThirty() {
    long[] offsets = ArrivalSchedule.offsetsMicros(ArrivalPattern.RAMP, 100, TEN_SECONDS_MICROS, 1);
    assertEquals(1_000, offsets.length);
    assertAscendingWithin(offsets, TEN_SECONDS_MICROS);
    // N(t) = total·(t/D)², so half the requests are due after D/√2 ≈ 7.07 s.
    assertEquals(7_071_067, offsets[500], 1);
  }

  @Test
  void poissonIsSeededAndNearTheRate() {
    long[] offsets = ArrivalSchedule.offsetsMicros(ArrivalPattern.POISSON, 1_000, TEN_SECONDS_MICROS, 42);
    assertArrayEquals(offsets, ArrivalSchedule.offsetsMicros(ArrivalPattern.POISSON, 1_000, TEN_SECONDS_MICROS, 42));
    assertAscendingWithin(offsets, TEN_SECONDS_MICROS);
    // Poisson count: mean 10 000, standard deviation 100; five sigma is a generous band.
    assertTrue(Math.abs(offsets.length - 10_000) < 500, "count " + offsets.length);
  }

  @Test
  void rejectsNonPositiveRate() {
    assertThrows(IllegalArgumentException.class,
        () -> ArrivalSchedule.offsetsMicros(ArrivalPattern.BURST, 0, TEN_SECONDS_MICROS, 1));
  }

  private static void assertAscendingWithin(long[] offsets, long durationMicros) {
    for (int i = 1; i < offsets.length; i++) {
      assertTrue(offsets[i] >= offsets[i - 1], "not ascending at " + i);
    }
    assertTrue(offsets[0] >= 0 && offsets[offsets.length - 1] < durationMicros);
  }
}
