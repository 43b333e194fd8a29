package flashsale.shard;

/**
 * A transfer as its source shard recorded it in step 1.
 *
 * @param pending true until step 3 (settle); the units may or may not have been credited yet, only
 *     the target's credited ids tell
 */
public record TransferRecord(String transferId, String source, String target, long units, boolean pending) {
  public TransferRecord {
    if (units < 1) throw new IllegalArgumentException("transfer " + transferId + " of " + units + " units");
  }
}
