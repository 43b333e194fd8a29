package flashsale.shard;

/**
 * One region's shard of one event, as the transfer protocol drives it. Each method is one atomic
 * step at that shard's store; a step may throw (store unreachable) and is then simply retried,
 * since every step is idempotent by transfer id.
 */
public interface ShardBackend {

  /** What step 1 did. */
  enum DebitResult {
    /** Units taken and the transfer recorded, atomically. */
    DEBITED,
    /** This transfer id was debited before (a retry): nothing changed. */
    ALREADY_DEBITED,
    /** Fewer units left than asked: nothing changed. */
    SHORT
  }

  String region();

  /** Step 1 at the source: take {@code units} and record the transfer to {@code target}. */
  DebitResult debit(String transferId, long units, String target);

  /** Step 2 at the target: add {@code units} unless this transfer id was credited before; true if added now. */
  boolean credit(String transferId, long units);

  /**
   * Step 3 at the source: the transfer is done; its record leaves what {@link #snapshot} shows
   * (its id is kept, so the same id never debits again).
   */
  void settle(String transferId);

  /**
   * Step 4 at the target, once the source settled: the credit leaves what {@link #snapshot}
   * shows (its id is kept, so a late or repeated credit still adds nothing). Reads then cost what
   * is under way, not every transfer the event ever made.
   */
  void forgetCredit(String transferId);

  ShardSnapshot snapshot();
}
