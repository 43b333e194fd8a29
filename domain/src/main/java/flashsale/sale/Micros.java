package flashsale.sale;

import java.time.Instant;

/** Instants as UTC epoch microseconds, the unit every stamp travels in. */
public final class Micros {
  private Micros() {}

  /** {@code instant} in UTC epoch microseconds, the sub-microsecond part dropped (toward the past). */
  public static long of(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }
}
