package flashsale.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.Partition;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The store contract's region-node cases: the named region nodes a leader recorded before welcoming
 * them are what the next leader of the same partition reads back, once each, until forgotten; a
 * forget never undoes a record of a later epoch; records of another partition count are read by
 * every partition until forgotten.
 */
interface RegionNodeStoreContract {
  ArbiterStore store();

  Partition ONLY = Partition.ONLY;

  private void record(Partition partition, String source, long epoch) throws Exception {
    store().recordRegionNode(partition, source, epoch).get(30, TimeUnit.SECONDS);
  }

  private void forget(Partition partition, String source, long epoch) throws Exception {
    store().forgetRegionNode(partition, source, epoch).get(30, TimeUnit.SECONDS);
  }

  @Test
  default void recordedRegionNodesReadBackOnceEachUntilForgotten() throws Exception {
    assertEquals(List.of(), store().regionNodes(ONLY));
    record(ONLY, "beijing/b1", 1);
    record(ONLY, "beijing/b2", 1);
    record(ONLY, "beijing/b1", 1);
    record(ONLY, "shanghai/s1", 1);
    assertEquals(Set.of("beijing/b1", "beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes(ONLY)));
    assertEquals(3, store().regionNodes(ONLY).size());

    forget(ONLY, "beijing/b1", 1);
    forget(ONLY, "beijing/b1", 1);
    forget(ONLY, "never/recorded", 1);
    assertEquals(Set.of("beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes(ONLY)));

    record(ONLY, "beijing/b1", 1);
    assertEquals(Set.of("beijing/b1", "beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes(ONLY)));
  }

  @Test
  default void aForgetUnderAnEarlierEpochLeavesALaterRecordStanding() throws Exception {
    // Leader of epoch 5 recorded b1, lost its lease; its forget lands after leader 6 recorded b1 again.
    record(ONLY, "beijing/b1", 5);
    record(ONLY, "beijing/b1", 6);
    forget(ONLY, "beijing/b1", 5);
    assertEquals(List.of("beijing/b1"), store().regionNodes(ONLY), "leader 6 welcomed b1: later leaders must wait for it");

    // A late record of an earlier epoch does not lower the record either.
    record(ONLY, "beijing/b1", 4);
    forget(ONLY, "beijing/b1", 5);
    assertEquals(List.of("beijing/b1"), store().regionNodes(ONLY));

    forget(ONLY, "beijing/b1", 6);
    assertEquals(List.of(), store().regionNodes(ONLY), "the recording epoch forgets it");
    record(ONLY, "beijing/b2", 6);
    forget(ONLY, "beijing/b2", 7);
    assertEquals(List.of(), store().regionNodes(ONLY), "a later epoch forgets it");
  }

  @Test
  default void eachPartitionKeepsItsOwnRegionNodes() throws Exception {
    Partition p0 = new Partition(0, 4);
    Partition p1 = new Partition(1, 4);
    record(p0, "beijing/b1", 9);
    record(p1, "beijing/b1", 2);
    record(p1, "beijing/b2", 2);
    forget(p1, "beijing/b1", 2);
    assertEquals(List.of("beijing/b1"), store().regionNodes(p0), "partition 1's forget is its own");
    assertEquals(List.of("beijing/b2"), store().regionNodes(p1));
    assertEquals(List.of(), store().regionNodes(new Partition(2, 4)));
  }

  @Test
  default void recordsOfAnotherPartitionCountAreWaitedForByEveryPartitionUntilForgotten() throws Exception {
    // Written with 2 partitions; the arbiters restart with 4, so events may have moved partition.
    record(new Partition(1, 2), "beijing/b1", 7);
    Partition p0 = new Partition(0, 4);
    Partition p3 = new Partition(3, 4);
    assertEquals(List.of("beijing/b1"), store().regionNodes(p0));
    assertEquals(List.of("beijing/b1"), store().regionNodes(p3));

    // No leader of the old layout is left to forget it: the first leader to time b1 out does, at any epoch.
    forget(p3, "beijing/b1", 1);
    assertEquals(List.of(), store().regionNodes(p0));
    assertEquals(List.of(), store().regionNodes(new Partition(1, 2)));
  }
}
