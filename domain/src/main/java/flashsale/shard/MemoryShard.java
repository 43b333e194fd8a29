package flashsale.shard;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One region's shard of one event in memory, with the semantics of the Redis functions in
 * {@code modes.lua}: units left and sold, the transfers debited here until settled and the ids
 * credited here until forgotten (the ids of both kept apart, for idempotence). Not thread-safe; its owner serialises the calls.
 */
public final class MemoryShard implements ShardBackend {
  private final String region;
  private long remaining;
  private long sold;
  private final Map<String, TransferRecord> outgoing = new LinkedHashMap<>();
  /** Ids settled here: never debited again, never shown. */
  private final Set<String> settled = new HashSet<>();
  private final Set<String> credited = new HashSet<>();
  /** Ids credited here and forgotten: never credited again, never shown. */
  private final Set<String> forgotten = new HashSet<>();

  public MemoryShard(String region, long initialUnits) {
    if (initialUnits < 0) throw new IllegalArgumentException("shard " + region + " of " + initialUnits + " units");
    this.region = region;
    this.remaining = initialUnits;
  }

  @Override
  public String region() {
    return region;
  }

  public long remainingUnits() {
    return remaining;
  }

  /** Sells {@code units}, all or nothing; false when the shard holds fewer. */
  public boolean sell(long units) {
    if (units < 1) throw new IllegalArgumentException("sale of " + units + " units at shard " + region);
    if (remaining < units) return false;
    remaining -= units;
    sold += units;
    return true;
  }

  @Override
  public DebitResult debit(String transferId, long units, String target) {
    if (units < 1) throw new IllegalArgumentException("transfer " + transferId + " of " + units + " units");
    if (outgoing.containsKey(transferId) || settled.contains(transferId)) return DebitResult.ALREADY_DEBITED;
    if (remaining < units) return DebitResult.SHORT;
    remaining -= units;
    outgoing.put(transferId, new TransferRecord(transferId, region, target, units, true));
    return DebitResult.DEBITED;
  }

  @Override
  public boolean credit(String transferId, long units) {
    if (units < 1) throw new IllegalArgumentException("transfer " + transferId + " of " + units + " units");
    if (forgotten.contains(transferId) || !credited.add(transferId)) return false;
    remaining += units;
    return true;
  }

  @Override
  public void settle(String transferId) {
    if (outgoing.remove(transferId) != null) settled.add(transferId);
  }

  @Override
  public void forgetCredit(String transferId) {
    if (credited.remove(transferId)) forgotten.add(transferId);
  }

  @Override
  public ShardSnapshot snapshot() {
    return new ShardSnapshot(region, remaining, sold, new ArrayList<>(outgoing.values()), credited);
  }
}
