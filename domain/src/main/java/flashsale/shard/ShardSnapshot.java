package flashsale.shard;

import java.util.List;
import java.util.Set;

/**
 * One region's shard of an event at one instant.
 *
 * @param outgoing the transfers this shard was debited for and not yet settled (a store written by
 *     an older build may also list settled ones, marked not pending)
 * @param credited ids of the transfers credited to this shard and not yet forgotten (step 4)
 */
public record ShardSnapshot(
    String region, long remainingUnits, long soldUnits, List<TransferRecord> outgoing, Set<String> credited) {
  public ShardSnapshot {
    outgoing = List.copyOf(outgoing);
    credited = Set.copyOf(credited);
    if (remainingUnits < 0) throw new IllegalStateException("shard " + region + " holds " + remainingUnits + " units");
  }

  public List<TransferRecord> pendingOutgoing() {
    return outgoing.stream().filter(TransferRecord::pending).toList();
  }
}
