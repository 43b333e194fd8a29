package flashsale.shard;

/**
 * A region's shard as the rebalancer sees it: units left, units of purchases held for want of
 * stock (a borrow request), and the recent demand rate.
 */
public record ShardDemand(String region, long remainingUnits, long waitingUnits, long demandUnitsPerSecond) {
  public ShardDemand {
    if (remainingUnits < 0 || waitingUnits < 0 || demandUnitsPerSecond < 0) {
      throw new IllegalArgumentException("negative figure in " + region + ": remaining " + remainingUnits
          + ", waiting " + waitingUnits + ", demand " + demandUnitsPerSecond);
    }
  }

  /** Units this region is expected to sell within {@code horizonMicros}, held purchases first. */
  long expectedUnits(long horizonMicros) {
    return waitingUnits + demandUnitsPerSecond * horizonMicros / 1_000_000;
  }
}
