package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {
  private static final long SEED = 42;

  @Test
  void delaysDoubleWithJitterUpToTheCapAndResetAfterSuccess() {
    ReconnectBackoff b = new ReconnectBackoff(50, 2000, new SplittableRandom(SEED));
    long[] steps = {50, 100, 200, 400, 800, 1600, 2000, 2000};
    for (long step : steps) {
      long d = b.nextDelayMs();
      assertTrue(d >= step / 2 && d <= step, "seed=" + SEED + ": delay " + d + " outside [" + step / 2 + ", " + step + "]");
    }
    b.reset();
    long d = b.nextDelayMs();
    assertTrue(d >= 25 && d <= 50, "seed=" + SEED + ": after reset " + d);
  }

  @Test
  void oneMillisecondMinimumStillWaits() {
    ReconnectBackoff b = new ReconnectBackoff(1, 1, new SplittableRandom(SEED));
    assertEquals(1, b.nextDelayMs());
  }

  @Test
  void rejectsAMaximumBelowTheMinimum() {
    assertThrows(IllegalArgumentException.class, () -> new ReconnectBackoff(100, 50, new SplittableRandom(SEED)));
  }
}
