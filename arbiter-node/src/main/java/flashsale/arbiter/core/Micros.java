package flashsale.arbiter.core;

import java.time.Instant;

/** Instants as UTC microseconds, the unit every stamp travels in. */
public final class Micros {
  private Micros() {}

  public static long of(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }
}
