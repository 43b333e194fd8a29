package flashsale.shard;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The four-step transfer between shards that live in different stores, so no single atomic call
 * can move stock. Step 1 debits the source and records the transfer there atomically; step 2
 * credits the target idempotently by transfer id; step 3 settles the record at the source; step 4
 * forgets the credit at the target. A crash between steps leaves a pending record at the source,
 * or a credit not forgotten, which {@link #recover} completes: units are never lost (in a shard or
 * in a pending record) and never doubled (credit is once per id). Settled and forgotten ids are
 * kept apart from what reads return, so a read costs the transfers under way, not the event's
 * history.
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
    target.forgetCredit(transferId);
    return true;
  }

  /**
   * Completes every transfer a source recorded but did not settle, and forgets every credit whose
   * transfer was settled; returns how many transfers it completed.
   */
  public static int recover(Map<String, ShardBackend> shards) {
    int completed = 0;
    for (ShardBackend source : shards.values()) {
      for (TransferRecord t : source.snapshot().pendingOutgoing()) {
        ShardBackend target = require(shards, t.target());
        target.credit(t.transferId(), t.units());
        source.settle(t.transferId());
        target.forgetCredit(t.transferId());
        completed++;
      }
    }
    Set<String> stillPending = new HashSet<>();
    shards.values().forEach(s -> s.snapshot().pendingOutgoing().forEach(t -> stillPending.add(t.transferId())));
    for (ShardBackend target : shards.values()) {
      for (String transferId : target.snapshot().credited()) {
        if (!stillPending.contains(transferId)) target.forgetCredit(transferId); // its source settled it
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
