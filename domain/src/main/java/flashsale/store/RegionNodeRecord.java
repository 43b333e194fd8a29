package flashsale.store;

import flashsale.sale.Partition;

/**
 * A store's record that leaders of a partition must wait for a named region node: written by
 * {@code writer} under {@code fencingEpoch}, in a layout of {@code partitionCount} partitions. The
 * rules of {@link ArbiterStore#recordRegionNode}, {@link ArbiterStore#forgetRegionNode} and
 * {@link ArbiterStore#regionNodes}, for stores that keep records as values ({@code arbiter.lua}
 * applies the same ones in Redis).
 */
public record RegionNodeRecord(int partition, String source, long fencingEpoch, int partitionCount, String writer) {

  /** True when a new leader of {@code leader} waits for this node. */
  public boolean waitedForBy(Partition leader) {
    return partitionCount != leader.count() || partition == leader.index();
  }

  /** True when {@code leader}'s record (same partition) under {@code epoch} may replace this one. */
  public boolean replaceableBy(long epoch) {
    return fencingEpoch <= epoch;
  }

  /**
   * True when a forget of this node by {@code leader}, under {@code epoch}, as {@code forgetter},
   * removes this record: another layout's, or its own partition's unless another leader recorded
   * it since (a later epoch, or the same epoch from another writer).
   */
  public boolean forgottenBy(Partition leader, long epoch, String forgetter) {
    if (partitionCount != leader.count()) return true;
    if (partition != leader.index()) return false;
    return fencingEpoch < epoch || fencingEpoch == epoch && writer.equals(forgetter);
  }
}
