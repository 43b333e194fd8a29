package flashsale.sale;

import java.time.Instant;

/** Instants as UTC epoch microseconds, the unit every stamp travels in. */
public final class Micros {
  private Micros() {}

  /** {@code instant} in UTC epoch microseconds, the sub-microsecond part dropped (toward the past). */
  public static long of(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  /** {@code micros} as an ISO-8601 UTC instant, for messages a person reads (e.g. 2026-12-06T03:40:00.000123Z). */
  public static String text(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L).toString();
  }
}
