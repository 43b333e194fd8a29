package flashsale.region.core;

import java.time.Instant;
import java.time.InstantSource;

/** A clock tests set by hand, in microseconds. */
final class FakeClock implements InstantSource {
  private long micros;

  FakeClock(long micros) {
    this.micros = micros;
  }

  void set(long micros) {
    this.micros = micros;
  }

  void advance(long deltaMicros) {
    this.micros += deltaMicros;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
  }
}
