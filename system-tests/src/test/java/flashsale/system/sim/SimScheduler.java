package flashsale.system.sim;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * The simulation's true time and event queue: jobs run in time order, ties in scheduling order,
 * so a run is a pure function of its seed. Nodes see time only through their own {@link SimClock}.
 */
final class SimScheduler {

  private record Job(long atMicros, long order, Runnable action) {}

  private final PriorityQueue<Job> jobs =
      new PriorityQueue<>(Comparator.comparingLong(Job::atMicros).thenComparingLong(Job::order));
  private long nowMicros;
  private long order;

  /** True time in microseconds since the run started. */
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
