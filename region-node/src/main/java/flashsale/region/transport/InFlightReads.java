package flashsale.region.transport;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

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
 *
 * <p>A socket read is held from before its clock is read ({@link #begin}) until it is decoded, and
 * each purchase it carried keeps it held ({@link Read#hold}) until stamped. Holding only the purchases let a
 * watermark pass a read whose purchases were still being decoded: with a cold node, 3 of 8
 * purchases of one TCP packet were stamped 14 ms late, at the next watermark (tcpdump of the wire
 * test with a grpcio client).
 */
public final class InFlightReads {
  public static final long NONE = Long.MAX_VALUE;
  /** A begun read whose clock is being read: its time is at least that of any clock read before it was added. */
  private static final long TIME_PENDING = Long.MIN_VALUE;

  private final ThreadLocal<Lane> lanes = ThreadLocal.withInitial(this::newLane);
  private final List<Lane> allLanes = new CopyOnWriteArrayList<>();

  /**
   * One socket read (or purchase) at {@code readMicros}, in flight until released and until every
   * {@link #hold} on it is released. Each release counts once (further calls do nothing).
   */
  public static final class Read {
    private static final java.lang.invoke.VarHandle HOLDS;
    private static final java.lang.invoke.VarHandle RELEASED;

    static {
      try {
        var lookup = java.lang.invoke.MethodHandles.lookup();
        HOLDS = lookup.findVarHandle(Read.class, "holds", int.class);
        RELEASED = lookup.findVarHandle(Read.class, "released", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private volatile long readMicros;
    /** This read's own hold plus one per unreleased {@link #hold}; in flight while above 0. */
    private volatile int holds = 1;
    private volatile boolean released;
    /** The read a {@link #hold} keeps in flight; null for a read in a lane. */
    private final Read heldRead;

    private Read(long readMicros, Read heldRead) {
      this.readMicros = readMicros;
      this.heldRead = heldRead;
    }

    /** The time, once set; a watermark reading it while a begun read reads its clock waits the few instructions between. */
    private long awaitMicros() {
      long micros;
      for (int spins = 0; (micros = readMicros) == TIME_PENDING; spins++) {
        if (spins < 1_000) Thread.onSpinWait(); else Thread.yield(); // the reader was preempted in between
      }
      return micros;
    }

    public long readMicros() {
      return readMicros;
    }

    /**
     * A purchase this read carried, at the read's time: keeps the read in flight until the
     * purchase is stamped (the returned hold released), on whatever thread decodes it. Only while
     * this read is itself unreleased, as it is while it is decoded.
     */
    public Read hold() {
      int before = (int) HOLDS.getAndAdd(this, 1);
      assert before > 0 : "a hold on a read no longer in flight";
      return new Read(readMicros, this);
    }

    public void release() {
      if (!RELEASED.compareAndSet(this, false, true)) return;
      (heldRead != null ? heldRead : this).dropHold();
    }

    private void dropHold() {
      HOLDS.getAndAdd(this, -1);
    }

    private boolean inFlight() {
      return holds > 0;
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
   * A socket read about to be decoded, timed by {@code clockMicros}: added before the clock is read,
   * so a watermark that does not see it read its own clock first (see {@link #oldestMicros}) and
   * stays at or below this read's time.
   */
  public Read begin(LongSupplier clockMicros) {
    Lane lane = lanes.get();
    Read read = new Read(TIME_PENDING, null);
    append(lane, read);
    long micros = Math.max(clockMicros.getAsLong(), lane.lastMicros);
    lane.lastMicros = micros;
    read.readMicros = micros;
    return read;
  }

  /** Drops the released reads in front (a lane nobody watermarks, as a no-op server's, stays short), then appends. */
  private static void append(Lane lane, Read read) {
    dropReleasedFront(lane);
    lane.reads.add(read);
  }

  private static Read dropReleasedFront(Lane lane) {
    Read front;
    // remove(front), not poll(): another thread may be dropping the same front.
    while ((front = lane.reads.peek()) != null && !front.inFlight()) lane.reads.remove(front);
    return front;
  }

  /**
   * The oldest read still unstamped, or {@link #NONE}. A watermark reads its clock <em>before</em>
   * calling this: a read begun after the scan passed its lane reads the clock later still.
   */
  public long oldestMicros() {
    long oldest = NONE;
    for (Lane lane : allLanes) {
      Read front = dropReleasedFront(lane);
      if (front != null) {
        oldest = Math.min(oldest, front.awaitMicros());
      } else if (!lane.owner.isAlive()) {
        allLanes.remove(lane); // empty, and nobody can add to it again: pooled threads come and go
      }
    }
    return oldest;
  }

  /** Reads held in the lanes, released or not (tests). */
  int laneLength() {
    return allLanes.stream().mapToInt(lane -> lane.reads.size()).sum();
  }

  /** Lanes held now (tests). */
  int lanes() {
    return allLanes.size();
  }

  /** Reads not yet released (walks the whole of every lane: for tests, not the hot path). */
  public int size() {
    int count = 0;
    for (Lane lane : allLanes) {
      for (Read read : lane.reads) {
        if (read.inFlight()) count++;
      }
    }
    return count;
  }
}
