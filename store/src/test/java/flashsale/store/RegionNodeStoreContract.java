package flashsale.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The store contract's region-node cases: the named region nodes a leader recorded before welcoming
 * them are what the next leader of the same partition reads back, once each, until forgotten; a
 * forget never undoes a record of a later epoch.
 */
interface RegionNodeStoreContract {
  ArbiterStore store();

  private void record(int partition, String source, long epoch) throws Exception {
    store().recordRegionNode(partition, source, epoch).get(30, TimeUnit.SECONDS);
  }

  private void forget(int partition, String source, long epoch) throws Exception {
    store().forgetRegionNode(partition, source, epoch).get(30, TimeUnit.SECONDS);
  }

  @Test
  default void recordedRegionNodesReadBackOnceEachUntilForgotten() throws Exception {
    assertEquals(List.of(), store().regionNodes(0));
    record(0, "beijing/b1", 1);
    record(0, "beijing/b2", 1);
    record(0, "beijing/b1", 1);
    record(0, "shanghai/s1", 1);
    assertEquals(Set.of("beijing/b1", "beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes(0)));
    assertEquals(3, store().regionNodes(0).size());

    forget(0, "beijing/b1", 1);
    forget(0, "beijing/b1", 1);
    forget(0, "never/recorded", 1);
    assertEquals(Set.of("beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes(0)));

    record(0, "beijing/b1", 1);
    assertEquals(Set.of("beijing/b1", "beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes(0)));
  }

  @Test
  default void aForgetUnderAnEarlierEpochLeavesALaterRecordStanding() throws Exception {
    // Leader of epoch 5 recorded b1, lost its lease; its forget lands after leader 6 recorded b1 again.
    record(0, "beijing/b1", 5);
    record(0, "beijing/b1", 6);
    forget(0, "beijing/b1", 5);
    assertEquals(List.of("beijing/b1"), store().regionNodes(0), "leader 6 welcomed b1: later leaders must wait for it");

    // A late record of an earlier epoch does not lower the record either.
    record(0, "beijing/b1", 4);
    forget(0, "beijing/b1", 5);
    assertEquals(List.of("beijing/b1"), store().regionNodes(0));

    forget(0, "beijing/b1", 6);
    assertEquals(List.of(), store().regionNodes(0), "the recording epoch forgets it");
    record(0, "beijing/b2", 6);
    forget(0, "beijing/b2", 7);
    assertEquals(List.of(), store().regionNodes(0), "a later epoch forgets it");
  }

  @Test
  default void eachPartitionKeepsItsOwnRegionNodes() throws Exception {
    record(0, "beijing/b1", 9);
    record(1, "beijing/b1", 2);
    record(1, "beijing/b2", 2);
    forget(1, "beijing/b1", 2);
    assertEquals(List.of("beijing/b1"), store().regionNodes(0), "partition 1's forget is its own");
    assertEquals(List.of("beijing/b2"), store().regionNodes(1));
    assertEquals(List.of(), store().regionNodes(2));
  }
}
