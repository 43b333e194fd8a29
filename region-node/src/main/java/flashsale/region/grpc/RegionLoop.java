package flashsale.region.grpc;

import flashsale.loop.LoopScheduler;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns a region's core. gRPC handlers, inbound stream messages and timers all
 * post tasks here, so the core needs no locks and sees every input in one total order. A task that
 * throws is logged and does not stop the loop or a periodic timer.
 */
public final class RegionLoop implements LoopScheduler {
  private static final Logger log = LoggerFactory.getLogger(RegionLoop.class);

  private final ScheduledThreadPoolExecutor executor;
  private volatile Thread thread;

  public RegionLoop(String region) {
    this.executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "region-loop-" + region);
      t.setDaemon(true);
      thread = t;
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
  }

  @Override
  public void execute(Runnable task) {
    try {
      executor.execute(guarded(task));
    } catch (RejectedExecutionException e) {
      // Only after shutdown: nothing is left to own the core, so the task has nowhere to run.
      log.debug("region loop stopped; dropped task {}", task);
    }
  }

  @Override
  public Timer schedule(Runnable task, long delayMs) {
    var future = executor.schedule(guarded(task), delayMs, TimeUnit.MILLISECONDS);
    return () -> future.cancel(false);
  }

  @Override
  public Timer every(Runnable task, long periodMs) {
    var future = executor.scheduleWithFixedDelay(guarded(task), periodMs, periodMs, TimeUnit.MILLISECONDS);
    return () -> future.cancel(false);
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  /** Runs {@code task} on the loop and waits for its result (for shutdown and tests, never a handler). */
  public <T> T call(Callable<T> task, long timeoutMs) throws InterruptedException, TimeoutException {
    if (inLoop()) throw new IllegalStateException("call() from the loop itself would deadlock");
    try {
      return executor.submit(task).get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("loop task failed", e.getCause());
    }
  }

  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  public void shutdown() throws InterruptedException {
    executor.shutdownNow();
    if (!executor.awaitTermination(2, TimeUnit.SECONDS)) log.warn("region loop not stopped timeout_ms=2000");
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("region loop task failed", e);
      }
    };
  }
}
