package flashsale.shard;

import java.util.List;
import java.util.Set;

/**
 * One region's shard of an event at one instant.
 *
 * @param outgoing every transfer this shard was debited for (pending or done)
 * @param credited ids of the transfers credited to this shard
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
