package flashsale.region.core;

import flashsale.loop.LoopScheduler;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Lets purchases reach the stamp in the order their bytes were read, on the loop. Stamps are
 * strictly increasing in the order the loop takes purchases, so a purchase that reached the loop
 * after a later-read one was pushed past it: the reading threads hand calls to a pool, and a
 * pool thread preempted with an earlier purchase let later ones overtake it (one by 10.1 ms in a
 * cold burst; grpcio wire test, a debug log of every push over 1 ms).
 *
 * <p>A purchase waits here while an older read is still on its way (being decoded, in the call
 * pool, queued for the loop), and goes once it is the oldest read in flight, or after {@code
 * maxHoldMillis} (a read held elsewhere, by an event look-up say, must not stall the rest for
 * ever: the push then shows in the stamp's error bound, as before). Loop thread only.
 */
public final class ReadOrder {
  private record Held(long readMicros, long sequence, long heldSinceNanos, Runnable onLoop) {}

  private final LoopScheduler loop;
  private final LongSupplier oldestReadMicros;
  private final long maxHoldNanos;
  private final long recheckMillis;
  private final PriorityQueue<Held> held = new PriorityQueue<>(
      (a, b) -> a.readMicros != b.readMicros ? Long.compare(a.readMicros, b.readMicros) : Long.compare(a.sequence, b.sequence));
  private long sequence;
  private LoopScheduler.Timer recheck;
  private long overdue;

  /**
   * @param oldestReadMicros the oldest read not yet stamped, held purchases' own reads included
   *     ({@code Long.MAX_VALUE} for none)
   * @param maxHoldMillis the longest a purchase waits for an older read
   * @param recheckMillis how often a waiting purchase looks again while nothing else arrives
   */
  public ReadOrder(LoopScheduler loop, LongSupplier oldestReadMicros, long maxHoldMillis, long recheckMillis) {
    this.loop = Objects.requireNonNull(loop, "loop");
    this.oldestReadMicros = Objects.requireNonNull(oldestReadMicros, "oldestReadMicros");
    if (maxHoldMillis < 0 || recheckMillis < 1) throw new IllegalArgumentException("maxHoldMillis >= 0, recheckMillis >= 1");
    this.maxHoldNanos = TimeUnit.MILLISECONDS.toNanos(maxHoldMillis);
    this.recheckMillis = recheckMillis;
  }

  /** Runs {@code onLoop} (which stamps the purchase read at {@code readMicros}) once no older read is on its way. */
  public void admit(long readMicros, Runnable onLoop) {
    Objects.requireNonNull(onLoop, "onLoop");
    // The usual case, nothing waiting and this the oldest read: no queue entry, no clock read.
    if (held.isEmpty() && readMicros <= oldestReadMicros.getAsLong()) {
      onLoop.run();
      return;
    }
    held.add(new Held(readMicros, sequence++, loop.nanoTime(), onLoop));
    drain();
  }

  /** Purchases waiting now. */
  public int held() {
    return held.size();
  }

  /** Purchases let go after {@code maxHoldMillis} with an older read still on its way. */
  public long overdue() {
    return overdue;
  }

  private void drain() {
    long oldest = oldestReadMicros.getAsLong();
    Held head;
    while ((head = held.peek()) != null) {
      if (head.readMicros > oldest) oldest = oldestReadMicros.getAsLong(); // the last one run may have been the oldest
      if (head.readMicros > oldest) {
        if (loop.nanoTime() - head.heldSinceNanos < maxHoldNanos) break;
        overdue++;
      }
      held.poll();
      head.onLoop.run();
    }
    if (!held.isEmpty() && recheck == null) {
      recheck = loop.schedule(() -> {
        recheck = null;
        drain();
      }, recheckMillis);
    }
  }
}
