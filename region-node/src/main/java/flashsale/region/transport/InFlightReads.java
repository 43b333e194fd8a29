package flashsale.region.transport;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Purchases read off a socket and not yet stamped, by read time. A watermark promises that nothing
 * stamped at or below it will follow, so it must stay below the oldest of these, or that purchase
 * would be stamped after the watermark, carrying the time it queued in this node.
 *
 * <p>Safe from any thread, and without a lock: the reading threads add here inside every read,
 * and a reader blocked on a lock held by a preempted thread (a region-call thread releasing a
 * read) stamped its next read 10-41 ms late (JFR, wire test with a grpcio client). Each adding
 * thread has a lane of its own, in the order of its reads, so a lane's first unreleased read is
 * its oldest; released reads leave a lane when they reach its front.
 */
public final class InFlightReads {
  public static final long NONE = Long.MAX_VALUE;

  private final ThreadLocal<Lane> lanes = ThreadLocal.withInitial(this::newLane);
  private final List<Lane> allLanes = new CopyOnWriteArrayList<>();

  /** One purchase read at {@code readMicros}; release it exactly once (further calls do nothing). */
  public static final class Read {
    private final long readMicros;
    private volatile boolean released;

    private Read(long readMicros) {
      this.readMicros = readMicros;
    }

    public long readMicros() {
      return readMicros;
    }

    public void release() {
      released = true;
    }
  }

  /** One adding thread's reads, oldest first. Only that thread adds; any thread drops released ones from the front. */
  private static final class Lane {
    final Thread owner = Thread.currentThread();
    final Queue<Read> reads = new ConcurrentLinkedQueue<>();
    /** The last read time added (adding thread only): a clock stepping back must not reorder the lane. */
    long lastMicros = Long.MIN_VALUE;
  }

  private Lane newLane() {
    Lane lane = new Lane();
    allLanes.add(lane);
    return lane;
  }

  /**
   * A purchase read at {@code readMicros}; if this thread added a later read before (the wall clock
   * stepped back), it is held at that later time, which keeps the thread's lane in order.
   */
  public Read add(long readMicros) {
    Lane lane = lanes.get();
    long micros = Math.max(readMicros, lane.lastMicros);
    lane.lastMicros = micros;
    Read read = new Read(micros);
    lane.reads.add(read);
    return read;
  }

  /** The oldest read still unstamped, or {@link #NONE}. */
  public long oldestMicros() {
    long oldest = NONE;
    for (Lane lane : allLanes) {
      Read front;
      while ((front = lane.reads.peek()) != null && front.released) lane.reads.remove(front);
      if (front != null) {
        oldest = Math.min(oldest, front.readMicros);
      } else if (!lane.owner.isAlive()) {
        allLanes.remove(lane); // empty, and nobody can add to it again: pooled threads come and go
      }
    }
    return oldest;
  }

  /** Lanes held now (tests). */
  int lanes() {
    return allLanes.size();
  }

  /** Reads not yet released (counts the whole of every lane: for tests and gauges, not the hot path). */
  public int size() {
    int count = 0;
    for (Lane lane : allLanes) {
      for (Read read : lane.reads) {
        if (!read.released) count++;
      }
    }
    return count;
  }
}
