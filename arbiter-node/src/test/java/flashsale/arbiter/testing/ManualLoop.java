package flashsale.arbiter.testing;

import flashsale.loop.LoopScheduler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** A loop whose tasks run when the test says: posted ones by {@link #runReady}, timers by {@link #fireTimers}. */
public final class ManualLoop implements LoopScheduler {
  private final ArrayDeque<Runnable> ready = new ArrayDeque<>();
  private final List<Runnable> timers = new ArrayList<>();

  @Override
  public void execute(Runnable task) {
    ready.add(task);
  }

  @Override
  public Timer schedule(Runnable task, long delayMs) {
    timers.add(task);
    return () -> timers.remove(task);
  }

  @Override
  public Timer every(Runnable task, long periodMs) {
    throw new UnsupportedOperationException("the test ticks by hand");
  }

  @Override
  public long nanoTime() {
    return 0;
  }

  /** Runs posted tasks, and those they post, until none is left. */
  public void runReady() {
    while (!ready.isEmpty()) ready.poll().run();
  }

  /** Runs every timer set so far (not those they set). */
  public void fireTimers() {
    List<Runnable> due = List.copyOf(timers);
    timers.clear();
    due.forEach(Runnable::run);
  }
}
