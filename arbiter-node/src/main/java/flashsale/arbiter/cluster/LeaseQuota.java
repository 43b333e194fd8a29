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

  public boolean mayAcquire() {
    return held < share();
  }

  public boolean overShare() {
    return held > share();
  }

  void acquired() {
    held++;
  }

  void released() {
    if (held == 0) throw new IllegalStateException("released a partition lease that was not counted");
    held--;
  }
}
