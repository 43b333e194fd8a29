package flashsale.arbiter.cluster;

import flashsale.sale.Partitions;

/**
 * How many partition leases this node may hold: its fair share of the partitions over the live
 * arbiters ({@link Partitions#fairShare}). A standby partition acquires only below the share; a
 * leading one gives its lease up while the node holds more than the share, so a newcomer takes
 * it. Confined to the leadership thread that every partition's {@link Leadership} shares.
 */
public final class LeaseQuota {
  private final Partitions partitions;
  private int liveArbiters = 1;
  private int held;
  /** Acquires sent for leases nobody was known to hold, not yet answered: each may win, so each counts. */
  private int acquiresInFlight;
  /** Leases taken past the share because nobody else led them: not counted over it while kept. */
  private int keptPastShare;

  public LeaseQuota(Partitions partitions) {
    this.partitions = partitions;
  }

  /** No limit: a node that leads the only partition, or leads alone. */
  public static LeaseQuota unlimited() {
    return new LeaseQuota(Partitions.ONE);
  }

  /** The roster's latest count of live arbiters, this node included. */
  public void liveArbiters(int count) {
    liveArbiters = Math.max(1, count);
  }

  public int liveArbiters() {
    return liveArbiters;
  }

  public int held() {
    return held;
  }

  public int share() {
    return partitions.fairShare(liveArbiters);
  }

  /**
   * Below the share counting the acquires still unanswered: every partition ticks in one round on
   * the shared thread, so counting only the leases won would let one round send an acquire for
   * every free partition, win them all, and give the extra back (a second failover of each).
   */
  public boolean mayAcquire() {
    return held + acquiresInFlight < share();
  }

  public boolean overShare() {
    return held - keptPastShare > share();
  }

  void keepPastShare() {
    keptPastShare++;
  }

  void stopKeepingPastShare() {
    if (keptPastShare == 0) throw new IllegalStateException("stopped keeping a lease that was not kept");
    keptPastShare--;
  }

  void acquireSent() {
    acquiresInFlight++;
  }

  /** An acquire was answered, won ({@code won}) or not, or failed; {@code counted} if {@link #acquireSent} counted it. */
  void acquireAnswered(boolean counted, boolean won) {
    if (counted) {
      if (acquiresInFlight == 0) throw new IllegalStateException("answer to an acquire that was not sent");
      acquiresInFlight--;
    }
    if (won) held++;
  }

  void released() {
    if (held == 0) throw new IllegalStateException("released a partition lease that was not counted");
    held--;
  }
}
