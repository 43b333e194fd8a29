package flashsale.store;

/**
 * What one stock pool (the CENTRAL pool or one region's shard) has decided so far.
 *
 * @param remainingUnits units the pool can still sell (a shard's units in flight are not here)
 * @param decisions requests decided at this pool, won or lost
 */
public record PoolCounters(long remainingUnits, long soldUnits, long decisions, long wins) {
  public PoolCounters {
    if (remainingUnits < 0 || soldUnits < 0 || wins < 0 || wins > decisions) {
      throw new IllegalStateException("impossible pool counters: remaining " + remainingUnits + ", sold " + soldUnits
          + ", decisions " + decisions + ", wins " + wins);
    }
  }

  public long losses() {
    return decisions - wins;
  }

  /** The sum of two pools' counters, for an event sold from several shards. */
  public PoolCounters plus(PoolCounters other) {
    return new PoolCounters(remainingUnits + other.remainingUnits, soldUnits + other.soldUnits,
        decisions + other.decisions, wins + other.wins);
  }
}
