package flashsale.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The store contract's region-node cases: the named region nodes a leader recorded before welcoming
 * them are what the next leader reads back, once each, until forgotten.
 */
interface RegionNodeStoreContract {
  ArbiterStore store();

  @Test
  default void recordedRegionNodesReadBackOnceEachUntilForgotten() throws Exception {
    assertEquals(List.of(), store().regionNodes());
    store().recordRegionNode("beijing/b1").get(30, TimeUnit.SECONDS);
    store().recordRegionNode("beijing/b2").get(30, TimeUnit.SECONDS);
    store().recordRegionNode("beijing/b1").get(30, TimeUnit.SECONDS);
    store().recordRegionNode("shanghai/s1").get(30, TimeUnit.SECONDS);
    assertEquals(Set.of("beijing/b1", "beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes()));
    assertEquals(3, store().regionNodes().size());

    store().forgetRegionNode("beijing/b1").get(30, TimeUnit.SECONDS);
    store().forgetRegionNode("beijing/b1").get(30, TimeUnit.SECONDS);
    store().forgetRegionNode("never/recorded").get(30, TimeUnit.SECONDS);
    assertEquals(Set.of("beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes()));

    store().recordRegionNode("beijing/b1").get(30, TimeUnit.SECONDS);
    assertEquals(Set.of("beijing/b1", "beijing/b2", "shanghai/s1"), Set.copyOf(store().regionNodes()));
  }
}
