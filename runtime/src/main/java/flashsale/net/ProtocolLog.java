package flashsale.net;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line, never a stack trace, per kind of protocol-level rejection (or other failure that can
 * come by the thousand), at most once per {@link #INTERVAL_MS}: a client sending garbage at line
 * rate must not fill the node's log. The line says how many of that kind it stands for.
 */
public final class ProtocolLog {
  static final long INTERVAL_MS = 10_000;

  private final Logger log;
  /** What each line starts with, e.g. "protocol rejection". */
  private final String event;
  private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

  private ProtocolLog(Logger log, String event) {
    this.log = log;
    this.event = event;
  }

  public static ProtocolLog of(Class<?> owner) {
    return of(owner, "protocol rejection");
  }

  /** Lines that start with {@code event} instead of "protocol rejection". */
  public static ProtocolLog of(Class<?> owner, String event) {
    return new ProtocolLog(LoggerFactory.getLogger(owner), event);
  }

  /** Notes one rejection of {@code kind} (a short constant); logs it unless the kind's line was written lately. */
  public void rejected(String kind, String detail) {
    Window w = windows.computeIfAbsent(kind, k -> new Window());
    long count = w.count.incrementAndGet();
    long now = System.nanoTime();
    long next = w.nextNanos.get();
    if (now - next < 0 || !w.nextNanos.compareAndSet(next, now + TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS))) return;
    long since = count - w.logged.getAndSet(count);
    log.warn("{} kind={} count={} since_last_line={} {}", event, kind, count, since, detail);
  }

  private static final class Window {
    final AtomicLong count = new AtomicLong();
    final AtomicLong logged = new AtomicLong();
    final AtomicLong nextNanos = new AtomicLong(System.nanoTime());
  }
}
