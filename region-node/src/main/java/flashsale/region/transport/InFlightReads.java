package flashsale.region.transport;

import java.util.TreeMap;

/**
 * Purchases read off a socket and not yet stamped, by read time. A watermark promises that nothing
 * stamped at or below it will follow, so it must stay below the oldest of these, or that purchase
 * would be stamped after the watermark, carrying the time it queued in this node. Safe from any
 * thread: the event loops add, the region loop and the call's close remove.
 */
public final class InFlightReads {
  public static final long NONE = Long.MAX_VALUE;

  private final TreeMap<Long, Integer> countByReadMicros = new TreeMap<>();

  /** One purchase read at {@code readMicros}; release it exactly once (further calls do nothing). */
  public final class Read {
    private final long readMicros;
    private boolean released;

    private Read(long readMicros) {
      this.readMicros = readMicros;
    }

    public long readMicros() {
      return readMicros;
    }

    public void release() {
      synchronized (InFlightReads.this) {
        if (released) return;
        released = true;
        countByReadMicros.computeIfPresent(readMicros, (k, n) -> n == 1 ? null : n - 1);
      }
    }
  }

  public synchronized Read add(long readMicros) {
    countByReadMicros.merge(readMicros, 1, Integer::sum);
    return new Read(readMicros);
  }

  /** The oldest read still unstamped, or {@link #NONE}. */
  public synchronized long oldestMicros() {
    return countByReadMicros.isEmpty() ? NONE : countByReadMicros.firstKey();
  }

  public synchronized int size() {
    return countByReadMicros.values().stream().mapToInt(Integer::intValue).sum();
  }
}
