package flashsale.client.wire;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wire arrivals by {@code request_id}: the UTC microsecond at which the read that ended the
 * request's call (or, on a stream, completed its message) took its bytes off the wire in front of
 * the region. A retried id keeps its
 * first arrival, as the region keeps its first stamp. Thread-safe: taps write, the harness reads.
 *
 * <p>Each tapped connection notes into a map of its own ({@link #connection()}), written by its
 * one forwarding thread, so a tap never waits on a lock another tap's thread holds. (With one
 * shared map, a kernel trace of a burst caught a tap's thread asleep 9 ms, between its write to
 * the region and its next read, until another tap's thread woke it; the map was all they shared.)
 */
public final class WireLog {
  /** One connection's arrivals; only its forwarding thread writes. */
  public static final class Connection {
    private final Map<String, Long> arrivals = new ConcurrentHashMap<>();

    /** Notes that {@code requestId} arrived at {@code wireMicros}; the earliest note wins. */
    public void arrived(String requestId, long wireMicros) {
      arrivals.merge(requestId, wireMicros, Math::min);
    }
  }

  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  /** The arrivals of connections that ended ({@link #retire}), so a look-up walks only the live ones. */
  private final Connection retired = connection();
  private final AtomicLong undecodable = new AtomicLong();

  /** Where one more connection notes its arrivals. */
  public Connection connection() {
    Connection c = new Connection();
    connections.add(c);
    return c;
  }

  /**
   * Moves an ended connection's arrivals into one map kept for all ended connections: copied
   * before the connection is dropped, so a look-up meanwhile finds them in one or the other.
   */
  public void retire(Connection ended) {
    if (ended == retired || !connections.contains(ended)) return;
    ended.arrivals.forEach(retired::arrived);
    connections.remove(ended);
  }

  /** Maps a look-up walks: the live connections' and the ended ones' together. */
  int connectionCount() {
    return connections.size();
  }

  /** Counts a Purchase whose message could not be read (compressed or malformed). */
  public void undecodable() {
    undecodable.incrementAndGet();
  }

  /** The earliest arrival any connection noted for {@code requestId}. */
  public OptionalLong wireMicros(String requestId) {
    long earliest = Long.MAX_VALUE;
    boolean found = false;
    for (Connection c : connections) {
      Long micros = c.arrivals.get(requestId);
      if (micros != null) {
        found = true;
        earliest = Math.min(earliest, micros);
      }
    }
    return found ? OptionalLong.of(earliest) : OptionalLong.empty();
  }

  /** 0 when the request never passed a tap (the convention of load records). */
  public long wireMicrosOrZero(String requestId) {
    return wireMicros(requestId).orElse(0L);
  }

  /** Distinct request ids noted. */
  public int size() {
    Set<String> ids = new HashSet<>();
    for (Connection c : connections) ids.addAll(c.arrivals.keySet());
    return ids.size();
  }

  public long undecodableCount() {
    return undecodable.get();
  }
}
