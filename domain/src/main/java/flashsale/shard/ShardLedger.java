package flashsale.shard;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All shards of one event in memory, each a {@link MemoryShard}: the model the pure tests and
 * simulations drive.
 */
public final class ShardLedger {
  private final long stock;
  private final Map<String, MemoryShard> shards = new LinkedHashMap<>();

  /** @param initialUnits each region's starting shard */
  public ShardLedger(Map<String, Long> initialUnits) {
    initialUnits.forEach((region, units) -> shards.put(region, new MemoryShard(region, units)));
    this.stock = initialUnits.values().stream().mapToLong(Long::longValue).sum();
  }

  public long stock() {
    return stock;
  }

  /** Sells {@code units} from the region's shard, all or nothing; false when it holds fewer. */
  public boolean sell(String region, long units) {
    return shards.get(region).sell(units);
  }

  public Map<String, ShardBackend> backends() {
    return new LinkedHashMap<>(shards);
  }

  public EventAccount account() {
    return EventAccount.of(shards.values().stream().map(MemoryShard::snapshot).toList());
  }

  /** Region ids in creation order. */
  public List<String> regions() {
    return List.copyOf(shards.keySet());
  }
}
