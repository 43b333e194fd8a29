package flashsale.client.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The moments this JVM could not run a thread on time, whatever the cause (a safepoint, a
 * collection, the OS or another process taking both cores): a thread that asks to wake every
 * millisecond records each wake-up later than {@link #THRESHOLD_MILLIS} (as jHiccup does). A
 * decision's tail that lines up with these is the platform's; one between them is the code's.
 */
final class Hiccups implements AutoCloseable {
  static final long THRESHOLD_MILLIS = 3;
  private static final int MAX_LISTED = 40;
  private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** One late wake-up: when it began, in ms after the window's start, and how much too late. */
  record Hiccup(long atMillis, double lateMillis) {}

  private final ConcurrentLinkedQueue<Hiccup> seen = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile long windowStartNanos = System.nanoTime();
  private volatile boolean running = true;

  private Hiccups() {
    thread = Thread.ofPlatform().daemon().name("hiccup-meter").unstarted(this::run);
  }

  static Hiccups start() {
    Hiccups h = new Hiccups();
    h.thread.start();
    return h;
  }

  private void run() {
    long thresholdNanos = TimeUnit.MILLISECONDS.toNanos(THRESHOLD_MILLIS);
    while (running) {
      long before = System.nanoTime();
      LockSupport.parkNanos(PERIOD_NANOS);
      long lateNanos = System.nanoTime() - before - PERIOD_NANOS;
      long sinceStartNanos = before - windowStartNanos;
      if (lateNanos >= thresholdNanos && sinceStartNanos >= 0) { // one begun before the window is not its
        seen.add(new Hiccup(TimeUnit.NANOSECONDS.toMillis(sinceStartNanos), lateNanos / 1e6));
      }
    }
  }

  /** Forgets what was seen so far: the window starts now. */
  void restart() {
    windowStartNanos = System.nanoTime();
    seen.clear();
  }

  /** One line: how many late wake-ups, the longest, and when each began (ms after the start). */
  String summary() {
    List<Hiccup> all = new ArrayList<>(seen);
    if (all.isEmpty()) return "none of " + THRESHOLD_MILLIS + " ms or more";
    double longest = all.stream().mapToDouble(Hiccup::lateMillis).max().orElseThrow();
    StringBuilder when = new StringBuilder();
    for (Hiccup h : all.subList(0, Math.min(all.size(), MAX_LISTED))) {
      when.append(String.format(Locale.ROOT, " %d(%.0f)", h.atMillis(), h.lateMillis()));
    }
    if (all.size() > MAX_LISTED) when.append(" …");
    return String.format(Locale.ROOT, "%d of %d ms or more, the longest %.1f ms; at ms after the start (late ms):%s",
        all.size(), THRESHOLD_MILLIS, longest, when);
  }

  @Override
  public void close() {
    running = false;
  }
}
