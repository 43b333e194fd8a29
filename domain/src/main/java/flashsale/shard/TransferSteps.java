package flashsale.shard;

import java.util.Map;

/**
 * The two-step transfer between shards that live in different stores, so no single atomic call
 * can move stock. Step 1 debits the source and records the transfer there atomically; step 2
 * credits the target idempotently by transfer id; step 3 marks the record done. A crash between
 * steps leaves a pending record at the source, which {@link #recover} completes: units are never
 * lost (in a shard or in a pending record) and never doubled (credit is once per id).
 */
public final class TransferSteps {
  private TransferSteps() {}

  /** Runs all three steps; false when the source no longer had the units (nothing moved). */
  public static boolean transfer(Map<String, ShardBackend> shards, TransferPlan plan, String transferId) {
    ShardBackend source = require(shards, plan.source());
    ShardBackend target = require(shards, plan.target());
    if (source.debit(transferId, plan.units(), plan.target()) == ShardBackend.DebitResult.SHORT) return false;
    target.credit(transferId, plan.units());
    source.settle(transferId);
    return true;
  }

  /** Completes every transfer a source recorded but did not settle; returns how many. */
  public static int recover(Map<String, ShardBackend> shards) {
    int completed = 0;
    for (ShardBackend source : shards.values()) {
      for (TransferRecord t : source.snapshot().pendingOutgoing()) {
        require(shards, t.target()).credit(t.transferId(), t.units());
        source.settle(t.transferId());
        completed++;
      }
    }
    return completed;
  }

  private static ShardBackend require(Map<String, ShardBackend> shards, String region) {
    ShardBackend shard = shards.get(region);
    if (shard == null) throw new IllegalStateException("no shard store for region " + region);
    return shard;
  }
}
