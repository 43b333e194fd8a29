package flashsale.sale;

import java.util.List;
import java.util.Objects;

/**
 * A flash-sale event as created. Times are UTC microseconds since the epoch; the sale is open
 * for stamps in {@code [startMicros, endMicros)}.
 *
 * @param tieBreakSeed key of the hash that orders equal stamps; chosen at creation and stored so
 *     that a re-decision after failover ranks exactly as before
 */
public record EventSpec(
    String eventId,
    String item,
    long stock,
    long startMicros,
    long endMicros,
    int perUserLimit,
    List<String> regions,
    SaleMode mode,
    long tieBreakSeed) {

  public EventSpec {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(item, "item");
    Objects.requireNonNull(mode, "mode");
    regions = List.copyOf(regions);
    if (stock < 0) throw new IllegalArgumentException("stock < 0: " + stock);
    if (endMicros <= startMicros) throw new IllegalArgumentException("end not after start");
    if (perUserLimit < 1) throw new IllegalArgumentException("perUserLimit < 1: " + perUserLimit);
    if (regions.isEmpty()) throw new IllegalArgumentException("no regions");
  }

  /** True when a request stamped at {@code stampMicros} falls inside the sale window. */
  public boolean isOpenAt(long stampMicros) {
    return stampMicros >= startMicros && stampMicros < endMicros;
  }

  public boolean sellsIn(String region) {
    return regions.contains(region);
  }

  /** The same event with a different tie-break seed (used when a create request omits it). */
  public EventSpec withTieBreakSeed(long seed) {
    return new EventSpec(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, seed);
  }
}
