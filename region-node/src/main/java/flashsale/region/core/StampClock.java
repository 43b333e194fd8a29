package flashsale.region.core;

import flashsale.sale.Micros;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Arrival stamps in UTC microseconds, strictly increasing for the life of the region. The arbiter
 * treats each stamp as "nothing earlier will come from me", so a stalled or stepped-back host
 * clock must never repeat or reverse a stamp: the stamp then runs one microsecond ahead of the
 * last one until the clock catches up.
 */
public final class StampClock {
  private final InstantSource source;
  private long lastMicros = Long.MIN_VALUE;

  public StampClock(InstantSource source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  /** A fresh stamp: {@code max(now, last + 1)}. */
  public long next() {
    return stampAt(nowMicros());
  }

  /**
   * The stamp of something that arrived at {@code arrivalMicros} (read earlier, e.g. on the
   * transport thread): {@code max(arrival, last + 1)}, so stamps still strictly increase.
   */
  public long stampAt(long arrivalMicros) {
    lastMicros = Math.max(arrivalMicros, lastMicros + 1);
    return lastMicros;
  }

  /** No later stamp is at or below {@code floorMicros} (what the arbiter will still rank from this region). */
  public void raiseFloor(long floorMicros) {
    lastMicros = Math.max(lastMicros, floorMicros);
  }

  /** The last stamp handed out (or the floor raised), {@link Long#MIN_VALUE} before the first. */
  public long lastMicros() {
    return lastMicros;
  }

  /** The raw clock reading (not a stamp: may repeat or go back). */
  public long nowMicros() {
    return micros(source.instant());
  }

  public static long micros(Instant instant) {
    return Micros.of(instant);
  }
}
