package flashsale.system.sim;

import flashsale.loop.LoopScheduler;

/**
 * A node's loop under the simulator: the same {@link LoopScheduler} production passes a thread
 * for, here jobs on the shared virtual-time queue, with delays measured on the node's own
 * drifting clock. A crash ends the incarnation: every task and timer of the old one is dropped.
 */
final class NodeLoop implements LoopScheduler {
  private final SimScheduler scheduler;
  private final SimClock clock;
  private long incarnation;
  private boolean up = true;

  NodeLoop(SimScheduler scheduler, SimClock clock) {
    this.scheduler = scheduler;
    this.clock = clock;
  }

  boolean up() {
    return up;
  }

  /** The node dies: nothing scheduled so far runs. */
  void crash() {
    up = false;
    incarnation++;
  }

  /** A new process on the same host: same clock, nothing carried over. */
  void restart() {
    up = true;
    incarnation++;
  }

  /**
   * Runs {@code task} on this node at true time {@code atMicros}, if it is up and still the same
   * incarnation then (a task posted while it is down belongs to no process and never runs).
   */
  void at(long atMicros, Runnable task) {
    scheduler.at(atMicros, ofThisProcess(task));
  }

  /** {@code task} as this incarnation's: run later, it does nothing once the process has died. */
  Runnable ofThisProcess(Runnable task) {
    long mine = incarnation;
    return () -> {
      if (up && mine == incarnation) task.run();
    };
  }

  /** {@code task} as this incarnation's, for an answer that comes later: it does nothing once the process has died. */
  <T> java.util.function.Consumer<T> ofThisProcess(java.util.function.Consumer<T> task) {
    long mine = incarnation;
    return value -> {
      if (up && mine == incarnation) task.accept(value);
    };
  }

  @Override
  public void execute(Runnable task) {
    at(scheduler.nowMicros(), task);
  }

  @Override
  public Timer schedule(Runnable task, long delayMs) {
    boolean[] cancelled = {false};
    at(scheduler.nowMicros() + clock.trueDelayMicros(delayMs * 1_000), () -> {
      if (!cancelled[0]) task.run();
    });
    return () -> cancelled[0] = true;
  }

  @Override
  public Timer every(Runnable task, long periodMs) {
    boolean[] cancelled = {false};
    Runnable[] run = new Runnable[1];
    run[0] = () -> {
      if (cancelled[0]) return;
      task.run();
      schedule(run[0], periodMs);
    };
    schedule(run[0], periodMs);
    return () -> cancelled[0] = true;
  }

  @Override
  public long nanoTime() {
    return clock.nanoTime();
  }
}
