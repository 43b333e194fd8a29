package flashsale.region.modes;

import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.v1.PurchaseResponse;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * One SHARDED event at this region: the purchases held for want of stock (oldest stamp first, so
 * borrowed units go to the earliest buyers here), the recent demand, and what the arbiter last
 * said. Loop-owned.
 */
final class ShardEvent {
  /** A purchase waiting for borrowed stock until {@code deadlineNanos}. */
  record Held(Ticket ticket, StreamObserver<PurchaseResponse> call, long deadlineNanos) {}

  private static final long WINDOW_NANOS = 250_000_000L;

  final EventSpec spec;
  final PriorityQueue<Held> held = new PriorityQueue<>(Comparator.comparingLong(h -> h.ticket().stampMicros()));
  /** The arbiter said every shard is empty and nothing is in flight. */
  boolean soldOut;
  /** A buy for the head of {@link #held} is at the store; only one at a time keeps them in order. */
  boolean draining;
  boolean reportInFlight;
  long lastRemainingUnits;
  long lastActivityNanos;
  private long windowStartNanos;
  private long windowUnits;
  private long previousWindowUnits;

  ShardEvent(EventSpec spec, long initialUnits, long nowNanos) {
    this.spec = spec;
    this.lastRemainingUnits = initialUnits;
    this.windowStartNanos = nowNanos;
  }

  void asked(int units, long nowNanos) {
    roll(nowNanos);
    windowUnits += units;
    lastActivityNanos = nowNanos;
  }

  /** Units asked for per second over the current and the previous window. */
  long demandUnitsPerSecond(long nowNanos) {
    roll(nowNanos);
    long spanNanos = WINDOW_NANOS + (nowNanos - windowStartNanos);
    return (previousWindowUnits + windowUnits) * 1_000_000_000L / Math.max(1, spanNanos);
  }

  long waitingUnits() {
    return held.stream().mapToLong(h -> h.ticket().quantity()).sum();
  }

  boolean active(long nowNanos, long quietNanos) {
    return !held.isEmpty() || nowNanos - lastActivityNanos < quietNanos;
  }

  private void roll(long nowNanos) {
    while (nowNanos - windowStartNanos >= WINDOW_NANOS) {
      previousWindowUnits = windowUnits;
      windowUnits = 0;
      windowStartNanos += WINDOW_NANOS;
      if (nowNanos - windowStartNanos >= 2 * WINDOW_NANOS) {
        previousWindowUnits = 0;
        windowStartNanos = nowNanos;
      }
    }
  }
}
