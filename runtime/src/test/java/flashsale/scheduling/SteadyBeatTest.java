package flashsale.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SteadyBeatTest {
  private static final long MS = 1_000_000;
  /** The loop the beats run on, one thread, as the nodes' loops. */
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTheLoop() {
    executor.shutdownNow();
  }

  @Test
  void theNextBeatKeepsThePhaseAndSkipsBeatsAlreadyMissed() {
    assertEquals(12 * MS, SteadyBeat.nextBeat(10 * MS, 10 * MS + 300_000, 2 * MS), "on time: one period on");
    assertEquals(12 * MS, SteadyBeat.nextBeat(10 * MS, 11 * MS + 900_000, 2 * MS), "late within the period: same beat");
    assertEquals(18 * MS, SteadyBeat.nextBeat(10 * MS, 17 * MS, 2 * MS), "7 ms late: the beats at 12, 14 and 16 are skipped");
    assertEquals(14 * MS, SteadyBeat.nextBeat(10 * MS, 12 * MS, 2 * MS), "a beat due exactly now is already past");
  }

  /**
   * A task that sometimes runs for longer than the period. With a fixed delay its 4 ms would add to
   * every 10 ms (about 71 runs a second); at a fixed rate the beats a 65 ms run missed would run
   * back to back (six starts 4 ms apart). On a beat: the rate holds, and no burst follows.
   */
  @Test
  void slowRunsNeitherStretchTheBeatNorCauseABurst() throws Exception {
    List<Long> starts = new ArrayList<>();
    long first = System.nanoTime();
    SteadyBeat beat = SteadyBeat.start(executor, () -> {
      starts.add(System.nanoTime());
      sleep(starts.size() == 20 ? 65 : 4);
    }, 10);
    Thread.sleep(1_000);
    beat.cancel();
    executor.submit(() -> null).get(); // every run so far has finished
    long elapsedMs = (System.nanoTime() - first) / MS;
    int runs = starts.size();
    assertTrue(runs >= 80 && runs <= elapsedMs / 10 + 1, runs + " runs in " + elapsedMs + " ms");
    int backToBack = 0;
    for (int i = 1; i < runs; i++) {
      if (starts.get(i) - starts.get(i - 1) < 5 * MS) backToBack++;
    }
    assertTrue(backToBack <= 2, backToBack + " runs started right after the one before");
  }

  @Test
  void aCancelledBeatRunsNoMore() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    SteadyBeat beat = SteadyBeat.start(executor, runs::incrementAndGet, 5);
    Thread.sleep(50);
    beat.cancel();
    executor.submit(() -> null).get();
    int atCancel = runs.get();
    Thread.sleep(50);
    assertEquals(atCancel, runs.get());
    assertTrue(atCancel >= 3, "ran " + atCancel + " times in 50 ms");
  }

  /** A run that throws ends nothing: the beat goes on (the loops log what their tasks throw). */
  @Test
  void aRunThatThrowsKeepsTheBeat() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    SteadyBeat beat = SteadyBeat.start(executor, () -> {
      runs.incrementAndGet();
      throw new IllegalStateException("a bad tick");
    }, 5);
    Thread.sleep(60);
    beat.cancel();
    assertTrue(runs.get() >= 3, "ran " + runs.get() + " times");
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
