package flashsale.sale;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A flash-sale event as created. Times are UTC microseconds since the epoch; the sale is open
 * for stamps in {@code [startMicros, endMicros)}.
 *
 * @param tieBreakSeed key of the hash that orders equal stamps; chosen at creation and stored so
 *     that a re-decision after failover ranks exactly as before
 * @param shardUnits SHARDED only: each region's starting shard, summing to {@code stock}, in
 *     region order; empty for the other modes
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
    long tieBreakSeed,
    Map<String, Long> shardUnits) {

  public EventSpec {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(item, "item");
    Objects.requireNonNull(mode, "mode");
    regions = List.copyOf(regions);
    if (stock < 0) throw new IllegalArgumentException("stock < 0: " + stock);
    if (endMicros <= startMicros) throw new IllegalArgumentException("end not after start");
    if (perUserLimit < 1) throw new IllegalArgumentException("perUserLimit < 1: " + perUserLimit);
    if (regions.isEmpty()) throw new IllegalArgumentException("no regions");
    shardUnits = Collections.unmodifiableMap(new LinkedHashMap<>(shardUnits));
    if (mode == SaleMode.SHARDED) {
      if (!shardUnits.keySet().equals(new java.util.HashSet<>(regions))) {
        throw new IllegalArgumentException("shards " + shardUnits.keySet() + " are not the regions " + regions);
      }
      long total = shardUnits.values().stream().mapToLong(Long::longValue).sum();
      if (total != stock || shardUnits.values().stream().anyMatch(u -> u < 0)) {
        throw new IllegalArgumentException("shards " + shardUnits + " do not split stock " + stock);
      }
    } else if (!shardUnits.isEmpty()) {
      throw new IllegalArgumentException("shard units given for mode " + mode);
    }
  }

  /** An event whose stock, if SHARDED, is split equally (earlier regions get the remainder). */
  public EventSpec(String eventId, String item, long stock, long startMicros, long endMicros, int perUserLimit,
      List<String> regions, SaleMode mode, long tieBreakSeed) {
    this(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, tieBreakSeed,
        mode == SaleMode.SHARDED ? equalSplit(stock, regions) : Map.of());
  }

  private static Map<String, Long> equalSplit(long stock, List<String> regions) {
    Map<String, Long> units = new LinkedHashMap<>();
    for (int i = 0; i < regions.size(); i++) units.put(regions.get(i), stock / regions.size() + (i < stock % regions.size() ? 1 : 0));
    return units;
  }

  /** Units the region's shard starts with; 0 for a region without one. */
  public long shardUnitsOf(String region) {
    return shardUnits.getOrDefault(region, 0L);
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
    return new EventSpec(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, seed, shardUnits);
  }
}
