package flashsale.arbiter.core;

import java.util.Comparator;
import java.util.PriorityQueue;

/** The simulation's clock and event queue: jobs run in time order, ties in scheduling order. */
final class SimScheduler {

  private record Job(long atMicros, long order, Runnable action) {}

  private final PriorityQueue<Job> jobs =
      new PriorityQueue<>(Comparator.comparingLong(Job::atMicros).thenComparingLong(Job::order));
  private long nowMicros;
  private long order;

  long nowMicros() {
    return nowMicros;
  }

  void at(long atMicros, Runnable action) {
    jobs.add(new Job(Math.max(atMicros, nowMicros), order++, action));
  }

  void after(long delayMicros, Runnable action) {
    at(nowMicros + delayMicros, action);
  }

  /** Runs the next job; false when none is left. */
  boolean step() {
    Job job = jobs.poll();
    if (job == null) return false;
    nowMicros = job.atMicros();
    job.action().run();
    return true;
  }
}
