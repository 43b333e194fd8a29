package flashsale.scheduling;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A task run on a steady beat on a single-thread executor: a run that starts late does not move
 * the beats after it, and beats missed by a whole period (the loop was busy or stalled) are
 * skipped, never run back to back. Why not {@code scheduleWithFixedDelay}: each run's lateness is
 * added to the period, and a region's 2 ms watermark heartbeat stretched with the load of its
 * machine, and with it every decision waiting for that region's watermark. Why not
 * {@code scheduleAtFixedRate}: after a stall it runs every missed beat at once.
 */
public final class SteadyBeat implements Runnable {
  private final ScheduledExecutorService executor;
  private final Runnable task;
  private final long periodNanos;
  private long dueNanos;
  private volatile ScheduledFuture<?> next;
  private volatile boolean cancelled;

  private SteadyBeat(ScheduledExecutorService executor, Runnable task, long periodNanos) {
    if (periodNanos <= 0) throw new IllegalArgumentException("period must be positive, got " + periodNanos + " ns");
    this.executor = executor;
    this.task = task;
    this.periodNanos = periodNanos;
  }

  /** Runs {@code task} on {@code executor} every {@code periodMs}, the first time one period from now. */
  public static SteadyBeat start(ScheduledExecutorService executor, Runnable task, long periodMs) {
    SteadyBeat beat = new SteadyBeat(executor, task, TimeUnit.MILLISECONDS.toNanos(periodMs));
    beat.dueNanos = System.nanoTime();
    beat.scheduleNext(beat.dueNanos);
    return beat;
  }

  /** The beat after {@code dueNanos} that is still ahead of now. */
  static long nextBeat(long dueNanos, long nowNanos, long periodNanos) {
    long next = dueNanos + periodNanos;
    if (next <= nowNanos) next += ((nowNanos - next) / periodNanos + 1) * periodNanos;
    assert next > nowNanos && (next - dueNanos) % periodNanos == 0;
    return next;
  }

  private void scheduleNext(long nowNanos) {
    dueNanos = nextBeat(dueNanos, nowNanos, periodNanos);
    try {
      next = executor.schedule(this, dueNanos - nowNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopped) {
      return; // the loop has stopped: no beat is left to keep
    }
    if (cancelled) next.cancel(false); // cancelled from another thread while this was scheduling
  }

  @Override
  public void run() {
    if (cancelled) return;
    try {
      task.run();
    } finally {
      if (!cancelled) scheduleNext(System.nanoTime());
    }
  }

  /** No further run starts; one under way finishes. */
  public void cancel() {
    cancelled = true;
    ScheduledFuture<?> scheduled = next;
    if (scheduled != null) scheduled.cancel(false);
  }
}
