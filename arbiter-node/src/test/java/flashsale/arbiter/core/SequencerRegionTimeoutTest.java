package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A silent region stalls the frontier only until the region timeout; then it comes back late. */
class SequencerRegionTimeoutTest {
  private static final long TIMEOUT_MICROS = 500_000;

  private final SequencerDriver driver = new SequencerDriver(new SequencerConfig(64, 5_000, 1_000_000, TIMEOUT_MICROS));

  private RegionNodeStatus region(String name) {
    return driver.sequencer.regionStatuses().stream().filter(r -> r.region().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void othersKeepSellingPastTheTimeoutAndTheSilentRegionsEarlierTicketIsLate() {
    driver.add(SequencerDriver.spec(2, 1, 7, "near", "far"));
    driver.connect("near", "far");
    driver.watermarks(1_000, "near", "far");
    driver.send("near", ticket("n1", "near", 2_000));
    driver.tick(300_000);
    driver.watermark("near", 5_000);
    assertEquals(0, driver.unpersistedBatches(), "far's watermark 1000 holds n1 back");

    assertEquals(List.of(), driver.tick(TIMEOUT_MICROS - 300_000), "silent exactly as long as the timeout is not yet out");
    List<Effect> timedOut = driver.tick(1);
    assertEquals(1, SequencerDriver.of(timedOut, Effect.RegionExclusion.class).size());
    assertTrue(region("far").timedOut());
    assertEquals(1, driver.unpersistedBatches(), "near sells without far");
    driver.persistAll();

    driver.send("far", ticket("f1", "far", 1_500)); // stamped before n1, heard after n1 was ranked
    driver.persistAll();
    Decision late = driver.toldTo("far").get(0);
    assertTrue(late.late(), "ranked after a later stamp: marked late");
    assertEquals(1, driver.status().lateTickets());
    assertEquals(List.of("n1", "f1"), driver.decidedOrder());
    assertFalse(region("far").timedOut(), "it spoke again: it rejoins");
    assertEquals(1, region("far").timeouts());
  }

  @Test
  void aRejoinedRegionHoldsTheFrontierAgain() {
    driver.add(SequencerDriver.spec(5, 1, 7, "near", "far"));
    driver.connect("near", "far");
    driver.watermarks(1_000, "near", "far");
    driver.tick(TIMEOUT_MICROS + 1);
    driver.watermark("far", 3_000);
    driver.send("near", ticket("n1", "near", 4_000));
    assertEquals(0, driver.unpersistedBatches(), "far is back at 3000, so n1 at 4000 waits for it");
    driver.watermark("far", 4_000);
    assertEquals(1, driver.unpersistedBatches());
  }

  @Test
  void aRegionThatNeverSpeaksStallsOnlyUntilTheTimeout() {
    driver.add(SequencerDriver.spec(5, 1, 7, "near", "dead"));
    driver.connect("near");
    driver.send("near", ticket("n1", "near", 2_000));
    assertEquals(0, driver.unpersistedBatches());
    driver.tick(TIMEOUT_MICROS + 1);
    assertEquals(1, driver.unpersistedBatches());
  }
}
