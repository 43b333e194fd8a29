package flashsale.system.sim;

import java.time.Instant;
import java.time.InstantSource;

/**
 * One node's wall clock: true time plus an offset, running fast or slow by a drift in parts per
 * million. The offset can be stepped (an NTP correction, a bad clock); the drift stays.
 */
final class SimClock implements InstantSource {
  /** Where every run's true time starts: a fixed instant, so stamps look like real UTC micros. */
  static final long EPOCH_MICROS = 1_800_000_000_000_000L;

  private final SimScheduler scheduler;
  private final long driftPpm;
  private long offsetMicros;

  SimClock(SimScheduler scheduler, long offsetMicros, long driftPpm) {
    this.scheduler = scheduler;
    this.offsetMicros = offsetMicros;
    this.driftPpm = driftPpm;
  }

  long nowMicros() {
    long trueMicros = scheduler.nowMicros();
    return EPOCH_MICROS + trueMicros + trueMicros * driftPpm / 1_000_000 + offsetMicros;
  }

  void stepTo(long offsetMicros) {
    this.offsetMicros = offsetMicros;
  }

  long offsetMicros() {
    return offsetMicros;
  }

  /** The node's monotonic clock: the drifting true time, never stepped. */
  long nanoTime() {
    long trueMicros = scheduler.nowMicros();
    return (trueMicros + trueMicros * driftPpm / 1_000_000) * 1_000;
  }

  /** How much true time a local delay takes on this node's (drifting) timer. */
  long trueDelayMicros(long localMicros) {
    return localMicros * 1_000_000 / (1_000_000 + driftPpm);
  }

  @Override
  public Instant instant() {
    long micros = nowMicros();
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1_000);
  }
}
