package flashsale.wire;

import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.v1.ShardAllocation;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sharded event's {@code shard_allocations}: checks them and resolves them to units per region.
 * Three forms: explicit units (summing to stock), weights (largest-remainder split), or none
 * (equal split). A resolved split is explicit units, so resolving it again changes nothing.
 */
public final class ShardSplit {
  private static final String FIELD = "event.shard_allocations";
  static final long MAX_WEIGHT = 1_000_000;

  private ShardSplit() {}

  /** INVALID_FIELD unless the allocations fit the event's mode, regions and stock. */
  public static void validate(Event e) {
    List<ShardAllocation> allocations = e.getShardAllocationsList();
    if (e.getMode() != EventMode.EVENT_MODE_SHARDED) {
      if (!allocations.isEmpty()) throw EventValidator.invalid(FIELD, "are only for EVENT_MODE_SHARDED");
      return;
    }
    if (allocations.isEmpty()) return;
    Set<String> seen = new HashSet<>();
    boolean weighted = allocations.stream().anyMatch(a -> a.getWeight() != 0);
    long total = 0;
    for (ShardAllocation a : allocations) {
      if (!e.getRegionsList().contains(a.getRegion())) {
        throw EventValidator.invalid(FIELD, "name region '" + a.getRegion() + "' that is not in event.regions");
      }
      if (!seen.add(a.getRegion())) throw EventValidator.invalid(FIELD, "list region " + a.getRegion() + " twice");
      if (a.getUnits() < 0 || a.getWeight() < 0) throw EventValidator.invalid(FIELD, "must not be negative");
      if (a.getUnits() > EventValidator.MAX_STOCK || a.getWeight() > MAX_WEIGHT) {
        throw EventValidator.invalid(FIELD, "units must be at most " + EventValidator.MAX_STOCK + " and weights at most " + MAX_WEIGHT);
      }
      if (weighted && a.getUnits() != 0) throw EventValidator.invalid(FIELD, "give units or weights, not both");
      total = Math.addExact(total, weighted ? a.getWeight() : a.getUnits());
    }
    if (seen.size() != e.getRegionsCount()) throw EventValidator.invalid(FIELD, "must cover every region of the event");
    if (weighted && total <= 0) throw EventValidator.invalid(FIELD, "weights must not all be 0");
    if (!weighted && total != e.getStock()) {
      throw EventValidator.invalid(FIELD, "units sum to " + total + " but stock is " + e.getStock());
    }
  }

  /** Units per region in {@code event.regions} order; empty unless the event is SHARDED. */
  public static Map<String, Long> resolve(Event e) {
    Map<String, Long> units = new LinkedHashMap<>();
    if (e.getMode() != EventMode.EVENT_MODE_SHARDED) return units;
    Map<String, Long> weights = new LinkedHashMap<>();
    e.getRegionsList().forEach(r -> weights.put(r, 1L));
    boolean weighted = e.getShardAllocationsList().stream().anyMatch(a -> a.getWeight() != 0);
    for (ShardAllocation a : e.getShardAllocationsList()) {
      if (weighted) {
        weights.put(a.getRegion(), a.getWeight());
      } else {
        units.put(a.getRegion(), a.getUnits());
      }
    }
    if (!units.isEmpty()) {
      Map<String, Long> ordered = new LinkedHashMap<>();
      e.getRegionsList().forEach(r -> ordered.put(r, units.get(r)));
      return ordered;
    }
    return largestRemainder(e.getStock(), weights);
  }

  /** Floor of each proportional share, then one more unit each to the largest remainders. */
  static Map<String, Long> largestRemainder(long stock, Map<String, Long> weights) {
    long weightSum = weights.values().stream().mapToLong(Long::longValue).sum();
    Map<String, Long> units = new LinkedHashMap<>();
    Map<String, Long> remainders = new LinkedHashMap<>();
    long given = 0;
    for (var w : weights.entrySet()) {
      // stock and weights are bounded by validation, but their product may not fit a long
      var exact = java.math.BigInteger.valueOf(stock).multiply(java.math.BigInteger.valueOf(w.getValue()));
      var parts = exact.divideAndRemainder(java.math.BigInteger.valueOf(weightSum));
      units.put(w.getKey(), parts[0].longValueExact());
      remainders.put(w.getKey(), parts[1].longValueExact());
      given += parts[0].longValueExact();
    }
    List<String> byRemainder = remainders.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(Map.Entry::getKey)
        .toList();
    for (int i = 0; given < stock; i++, given++) units.merge(byRemainder.get(i), 1L, Long::sum);
    return units;
  }

  /** The resolved split as wire allocations. */
  public static List<ShardAllocation> toProto(Map<String, Long> units) {
    return units.entrySet().stream()
        .map(u -> ShardAllocation.newBuilder().setRegion(u.getKey()).setUnits(u.getValue()).build())
        .toList();
  }
}
