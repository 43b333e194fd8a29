package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A region's demand is what its nodes report together: one node's report never hides another's. */
class ShardReportsTest {
  private static final long STALE_AFTER_MICROS = 1_000_000;

  @Test
  void theNodesOfARegionAddUpAndANodeWithNothingHeldDoesNotHideOneThatHolds() {
    var reports = new ShardReports(STALE_AFTER_MICROS);
    reports.report("far-1", new ShardDemand("far", 0, 3, 40), 0);
    reports.report("far-2", new ShardDemand("far", 0, 0, 10), 100); // holds nothing: reported after far-1
    reports.report("near-1", new ShardDemand("near", 9, 0, 0), 100);
    assertEquals(List.of(new ShardDemand("far", 0, 3, 50), new ShardDemand("near", 9, 0, 0)),
        reports.demands(orderedRemaining(), 200), "far-1's 3 held units still count");

    reports.report("far-1", new ShardDemand("far", 0, 1, 5), 300); // a node's newer report replaces its own
    assertEquals(new ShardDemand("far", 0, 1, 15), reports.demands(orderedRemaining(), 400).get(0));
  }

  @Test
  void aNodeGoneQuietStopsCountingAndTheOthersStillDo() {
    var reports = new ShardReports(STALE_AFTER_MICROS);
    reports.report("far-1", new ShardDemand("far", 0, 3, 40), 0);
    reports.report("far-2", new ShardDemand("far", 0, 2, 10), 900_000);
    assertEquals(new ShardDemand("far", 0, 2, 10), reports.demands(orderedRemaining(), 1_500_000).get(0),
        "far-1 went quiet 1.5 s ago");
    assertTrue(reports.active(1_500_000));
    assertFalse(reports.active(2_000_000), "every report stale: nothing worth watching");
    assertEquals(new ShardDemand("far", 0, 0, 0), reports.demands(orderedRemaining(), 2_000_000).get(0));
  }

  @Test
  void aReportNamingNoNodeStandsForTheRegionAsBefore() {
    var reports = new ShardReports(STALE_AFTER_MICROS);
    reports.report(new ShardDemand("far", 0, 3, 40), 0);
    reports.report(new ShardDemand("far", 0, 1, 0), 100);
    assertEquals(new ShardDemand("far", 0, 1, 0), reports.demands(orderedRemaining(), 200).get(0));
  }

  private static Map<String, Long> orderedRemaining() {
    var remaining = new java.util.LinkedHashMap<String, Long>();
    remaining.put("far", 0L);
    remaining.put("near", 9L);
    return remaining;
  }
}
