package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.loop.LoopScheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Purchases reach the stamp in read order: one that reaches the loop while an older read is on
 * its way waits for it (or for the longest hold), so the older one is not pushed past it.
 */
class ReadOrderTest {
  /** Reads in flight (unstamped), by time; the oldest is what the gate asks for. */
  private final TreeSet<Long> inFlight = new TreeSet<>();
  private final ManualLoop loop = new ManualLoop();
  private final List<Long> stamped = new ArrayList<>();
  private final ReadOrder order = new ReadOrder(loop, () -> inFlight.isEmpty() ? Long.MAX_VALUE : inFlight.first(), 20, 1);

  private void arrive(long readMicros) {
    order.admit(readMicros, () -> {
      stamped.add(readMicros);
      inFlight.remove(readMicros); // stamped: its read is released
    });
  }

  @Test
  void aLaterReadWaitsForAnOlderOneStillOnItsWayAndBothGoInReadOrder() {
    inFlight.add(100L); // read, still in the call pool
    inFlight.add(200L);
    arrive(200);
    assertEquals(List.of(), stamped, "200 must not be stamped ahead of 100");
    assertEquals(1, order.held());
    arrive(100);
    assertEquals(List.of(100L, 200L), stamped);
    assertEquals(0, order.held());
  }

  @Test
  void anOlderReadThatNeverComesIsWaitedForOnlyUntilTheLongestHold() {
    inFlight.add(100L); // held elsewhere: an event look-up, say
    inFlight.add(200L);
    arrive(200);
    loop.advanceMillis(19);
    assertEquals(List.of(), stamped);
    loop.advanceMillis(1);
    assertEquals(List.of(200L), stamped, "let go after 20 ms");
    assertEquals(1, order.overdue());
  }

  @Test
  void anOlderReadReleasedWithoutComingLetsTheWaitingOneGoAtTheNextRecheck() {
    inFlight.add(100L);
    inFlight.add(200L);
    arrive(200);
    inFlight.remove(100L); // refused before the loop (a rate limit, a cancelled call)
    loop.advanceMillis(1);
    assertEquals(List.of(200L), stamped);
    assertEquals(0, order.overdue());
  }

  @Test
  void withNothingOlderOnItsWayAPurchaseGoesAtOnce() {
    inFlight.add(300L);
    arrive(300);
    arrive(400); // not held in flight (in-process call stamped on arrival): nothing older, goes
    assertEquals(List.of(300L, 400L), stamped);
  }

  /** Runs posted tasks at once, timers when the test moves its clock. */
  private static final class ManualLoop implements LoopScheduler {
    private record Due(long atNanos, Runnable task) {}

    private final List<Due> timers = new ArrayList<>();
    private long nowNanos;

    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public Timer schedule(Runnable task, long delayMs) {
      Due due = new Due(nowNanos + delayMs * 1_000_000, task);
      timers.add(due);
      return () -> timers.remove(due);
    }

    @Override
    public Timer every(Runnable task, long periodMs) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long nanoTime() {
      return nowNanos;
    }

    void advanceMillis(long millis) {
      long until = nowNanos + millis * 1_000_000;
      for (long t = nowNanos; t <= until; t += 1_000_000) {
        nowNanos = t;
        for (Due due : List.copyOf(timers)) {
          if (due.atNanos <= nowNanos) {
            timers.remove(due);
            due.task.run();
          }
        }
      }
    }
  }
}
