package flashsale.loop;

import java.util.concurrent.Executor;

/**
 * Where a core's tasks and timers run: one logical thread, so everything posted here sees the
 * core's state in one total order. Injectable for testing, as Caffeine takes an {@code executor}
 * and a {@code ticker}: production passes a real single-thread executor and {@link System#nanoTime},
 * the simulation a virtual clock that runs each task at its scheduled instant.
 */
public interface LoopScheduler extends Executor {

  /** A scheduled task that can be called off; cancelling a task that already ran does nothing. */
  @FunctionalInterface
  interface Timer {
    void cancel();
  }

  /** Runs {@code task} on the loop once, {@code delayMs} from now. */
  Timer schedule(Runnable task, long delayMs);

  /** Runs {@code task} every {@code periodMs} after the previous run ends (no catch-up bursts). */
  Timer every(Runnable task, long periodMs);

  /** The monotonic clock the delays are measured on, in nanoseconds (not wall time). */
  long nanoTime();
}
