package flashsale.arbiter.shard;

import flashsale.shard.ShardBalancer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Rebalancing rounds that ended early, logged at WARN at most once per event every {@link
 * #INTERVAL_MS}: while a region's store is left alone, every tick's round of each of its events
 * fails, and a line per tick would bury the log. Each line says how many of the event's rounds
 * failed since the last one; the others go to DEBUG. Coordinator's thread only.
 */
final class FailedRoundLog {
  static final long INTERVAL_MS = 5_000;
  /** Events remembered, the least recently failed forgotten first (its next failure is logged). */
  static final int MAX_EVENTS = 10_000;

  private final Logger log;
  private final Map<String, Window> byEvent = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
      return size() > MAX_EVENTS;
    }
  };

  /** When the event's last line was written, and rounds failed since. */
  private static final class Window {
    final long loggedNanos;
    long unlogged;

    Window(long loggedNanos) {
      this.loggedNanos = loggedNanos;
    }
  }

  FailedRoundLog(Logger log) {
    this.log = log;
  }

  void failed(String eventId, ShardBalancer.Cause cause, String why, long nowNanos) {
    Window window = byEvent.get(eventId);
    if (window != null && nowNanos - window.loggedNanos < TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS)) {
      window.unlogged++;
      log.debug("event={} rebalance failed cause={}: {}", eventId, cause, why);
      return;
    }
    byEvent.put(eventId, new Window(nowNanos));
    log.warn("event={} rebalance failed cause={} failed_since_last_line={}: {}", eventId, cause,
        window == null ? 0 : window.unlogged, why);
  }
}
