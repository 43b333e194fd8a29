package flashsale.region.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The connections a node holds open, in all and by client address, held to {@link ConnectionCaps}.
 * Thread-safe: sockets are accepted and closed on several reading threads.
 *
 * @param <A> a client address
 */
final class OpenConnections<A> {
  /** Why a connection was refused, for its counter and its log line. */
  enum Refusal {
    NODE_CAP, ADDRESS_CAP
  }

  private final ConnectionCaps caps;
  private final AtomicInteger open = new AtomicInteger();
  /** Open connections by address; an address with none has no entry. */
  private final Map<A, Integer> byAddress = new ConcurrentHashMap<>();
  private final LongAdder refusedAtNodeCap = new LongAdder();
  private final LongAdder refusedAtAddressCap = new LongAdder();

  OpenConnections(ConnectionCaps caps) {
    this.caps = caps;
  }

  /** Counts a new connection from {@code address} and returns null, or returns why it must be closed (then not counted). */
  Refusal open(A address) {
    if (open.incrementAndGet() > caps.maxConnections()) {
      open.decrementAndGet();
      refusedAtNodeCap.increment();
      return Refusal.NODE_CAP;
    }
    if (caps.maxConnectionsPerAddress() == 0) return null;
    boolean[] admitted = {false};
    byAddress.compute(address, (a, count) -> {
      int now = count == null ? 0 : count;
      if (now >= caps.maxConnectionsPerAddress()) return count;
      admitted[0] = true;
      return now + 1;
    });
    if (!admitted[0]) {
      open.decrementAndGet();
      refusedAtAddressCap.increment();
      return Refusal.ADDRESS_CAP;
    }
    return null;
  }

  /** A connection {@link #open} counted has closed. */
  void closed(A address) {
    if (caps.maxConnectionsPerAddress() > 0) {
      byAddress.compute(address, (a, count) -> {
        assert count != null && count > 0 : "a close from " + address + " that was never counted open";
        return count == null || count <= 1 ? null : count - 1;
      });
    }
    open.decrementAndGet();
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }

  /** Connections refused so far for {@code why}. */
  long refused(Refusal why) {
    return (why == Refusal.NODE_CAP ? refusedAtNodeCap : refusedAtAddressCap).sum();
  }
}
