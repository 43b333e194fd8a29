package flashsale.shard;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * All shards of one event in memory, each a {@link ShardBackend} with the same semantics as the
 * Redis functions in {@code modes.lua}: the model the pure tests and simulations drive.
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
    MemoryShard shard = shards.get(region);
    if (shard.remaining < units) return false;
    shard.remaining -= units;
    shard.sold += units;
    return true;
  }

  public Map<String, ShardBackend> backends() {
    return new LinkedHashMap<>(shards);
  }

  public EventAccount account() {
    return EventAccount.of(shards.values().stream().map(MemoryShard::snapshot).toList());
  }

  private static final class MemoryShard implements ShardBackend {
    private final String region;
    private long remaining;
    private long sold;
    private final Map<String, TransferRecord> outgoing = new LinkedHashMap<>();
    private final Set<String> credited = new HashSet<>();

    MemoryShard(String region, long units) {
      this.region = region;
      this.remaining = units;
    }

    @Override
    public String region() {
      return region;
    }

    @Override
    public DebitResult debit(String transferId, long units, String target) {
      if (outgoing.containsKey(transferId)) return DebitResult.ALREADY_DEBITED;
      if (remaining < units) return DebitResult.SHORT;
      remaining -= units;
      outgoing.put(transferId, new TransferRecord(transferId, region, target, units, true));
      return DebitResult.DEBITED;
    }

    @Override
    public boolean credit(String transferId, long units) {
      if (!credited.add(transferId)) return false;
      remaining += units;
      return true;
    }

    @Override
    public void settle(String transferId) {
      outgoing.computeIfPresent(transferId, (id, t) -> new TransferRecord(id, t.source(), t.target(), t.units(), false));
    }

    @Override
    public ShardSnapshot snapshot() {
      return new ShardSnapshot(region, remaining, sold, new ArrayList<>(outgoing.values()), credited);
    }
  }

  /** Region ids in creation order. */
  public List<String> regions() {
    return List.copyOf(shards.keySet());
  }
}
