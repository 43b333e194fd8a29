package flashsale.client.load;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * When each request of a run is due, in microseconds after the start. Pure and seeded, so the same
 * configuration plans the same workload for every mode it is compared across.
 */
public final class ArrivalSchedule {
  private ArrivalSchedule() {}

  /**
   * Due times, ascending.
   *
   * @param ratePerSecond nominal requests per second
   * @param durationMicros length of the run; BURST and RAMP plan {@code round(rate × duration)}
   *     requests, POISSON plans as many as fall inside the duration
   * @param seed only POISSON uses it
   */
  public static long[] offsetsMicros(
      ArrivalPattern pattern, double ratePerSecond, long durationMicros, long seed) {
    if (!(ratePerSecond > 0) || durationMicros <= 0) {
      throw new IllegalArgumentException(
          "rate and duration must be positive, got " + ratePerSecond + "/s for " + durationMicros + " µs");
    }
    long total = Math.round(ratePerSecond * durationMicros / 1e6);
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a run of " + total + " requests does not fit in memory");
    }
    return switch (pattern) {
      case BURST -> new long[(int) total];
      case RAMP -> ramp((int) total, durationMicros);
      case POISSON -> poisson(ratePerSecond, durationMicros, seed);
    };
  }

  /** Linear rate r(t) = 2·rate·t/D, so N(t) = total·(t/D)² and request k is due at D·√(k/total). */
  private static long[] ramp(int total, long durationMicros) {
    long[] offsets = new long[total];
    for (int k = 0; k < total; k++) {
      offsets[k] = (long) (durationMicros * Math.sqrt((double) k / total));
    }
    return offsets;
  }

  private static long[] poisson(double ratePerSecond, long durationMicros, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double meanGapMicros = 1e6 / ratePerSecond;
    long[] offsets = new long[16];
    int n = 0;
    double t = 0;
    while (true) {
      // Inverse-CDF sample of the exponential gap; 1 - u avoids log(0).
      t += -Math.log(1.0 - random.nextDouble()) * meanGapMicros;
      if (t >= durationMicros) {
        return Arrays.copyOf(offsets, n);
      }
      if (n == offsets.length) {
        offsets = Arrays.copyOf(offsets, n * 2);
      }
      offsets[n++] = (long) t;
    }
  }
}
