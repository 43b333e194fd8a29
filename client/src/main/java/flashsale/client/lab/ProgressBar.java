package flashsale.client.lab;

import flashsale.client.load.LoadProgress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Redraws one status line on stderr a few times a second while a load runs, so stdout stays
 * clean for the summary.
 */
final class ProgressBar implements AutoCloseable {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final Supplier<LoadProgress> source;
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("progress").unstarted(r));

  ProgressBar(PrintWriter err, Supplier<LoadProgress> source) {
    this.err = err;
    this.source = source;
    ticker.scheduleAtFixedRate(this::draw, 0, 200, TimeUnit.MILLISECONDS);
  }

  static String render(LoadProgress p) {
    int filled = p.planned() == 0 ? WIDTH : (int) (WIDTH * p.completed() / p.planned());
    return String.format(Locale.ROOT, "[%s%s] %3d%%  sent %d/%d  answered %d  in flight %d  errors %d  %.0f/s",
        "#".repeat(filled), "-".repeat(WIDTH - filled),
        p.planned() == 0 ? 100 : 100 * p.completed() / p.planned(),
        p.sent(), p.planned(), p.completed(), p.inFlight(), p.errors(), p.completedPerSecond());
  }

  private synchronized void draw() {
    err.print("\r" + render(source.get()));
    err.flush();
  }

  /** Stops redrawing and leaves the final state on its own line. */
  @Override
  public void close() {
    ticker.shutdownNow();
    try {
      ticker.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    draw();
    err.println();
    err.flush();
  }
}
