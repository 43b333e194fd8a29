package flashsale.client.wire;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wire arrivals by {@code request_id}: the UTC microsecond at which the bytes that started the
 * request reached the region. A retried id keeps its first arrival, as the region keeps its first
 * stamp. Thread-safe: taps write, the harness reads.
 */
public final class WireLog {
  private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
  private final AtomicLong undecodable = new AtomicLong();

  /** Notes that {@code requestId} started arriving at {@code wireMicros}; the earliest note wins. */
  public void arrived(String requestId, long wireMicros) {
    arrivals.merge(requestId, wireMicros, Math::min);
  }

  /** Counts a Purchase whose message could not be read (compressed or malformed). */
  public void undecodable() {
    undecodable.incrementAndGet();
  }

  public OptionalLong wireMicros(String requestId) {
    Long micros = arrivals.get(requestId);
    return micros == null ? OptionalLong.empty() : OptionalLong.of(micros);
  }

  /** 0 when the request never passed a tap (the convention of load records). */
  public long wireMicrosOrZero(String requestId) {
    return arrivals.getOrDefault(requestId, 0L);
  }

  public int size() {
    return arrivals.size();
  }

  public long undecodableCount() {
    return undecodable.get();
  }
}
