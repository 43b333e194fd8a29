package flashsale.store;

import java.time.Duration;

/**
 * How many replicas of the Redis primary must hold a write before the store reports it stored (and
 * so before a decision written by it is told): Redis' {@code WAIT}, after every write that is told.
 * Redis replicates asynchronously, so without it a primary that dies after answering can take told
 * decisions with it when its replica is promoted. {@link #NONE} waits for no replica.
 *
 * @param replicas replicas that must acknowledge; 0 waits for none
 * @param timeout how long one wait may take before the write is reported not replicated (and retried)
 */
public record ReplicaAcks(int replicas, Duration timeout) {
  public static final ReplicaAcks NONE = new ReplicaAcks(0, Duration.ofMillis(1));

  public ReplicaAcks {
    if (replicas < 0) throw new IllegalArgumentException("replicas < 0: " + replicas);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      // WAIT with timeout 0 blocks forever: a lost replica would stall every write for good.
      throw new IllegalArgumentException("replica wait timeout must be positive, not " + timeout);
    }
  }

  public boolean waits() {
    return replicas > 0;
  }
}
