package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.TicketRefusal;
import flashsale.arbiter.core.Effect.SendClockVerdict;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A region whose clock is provably off is flagged: its new tickets are refused and it stops holding others back. */
class SequencerClockTest {

  private final SequencerDriver driver = new SequencerDriver();

  @BeforeEach
  void twoRegions() {
    driver.add(SequencerDriver.spec(10, 5, 1, "beijing", "shanghai"));
    driver.connect("beijing", "shanghai");
  }

  private static List<Boolean> verdicts(List<Effect> effects) {
    return SequencerDriver.of(effects, SendClockVerdict.class).stream().map(SendClockVerdict::flagged).toList();
  }

  @Test
  void aVerdictIsSentOnTheFirstReportAndOnEveryChange() {
    assertEquals(List.of(false), verdicts(driver.clock("beijing", 1_000, 200)));
    assertEquals(List.of(), verdicts(driver.clock("beijing", 2_000, 200)));
    assertEquals(List.of(true), verdicts(driver.clock("beijing", -9_000, 2_000)), "9000 - 1000 > 5000");
    assertEquals(List.of(), verdicts(driver.clock("beijing", 12_000, 2_000)));
    assertEquals(List.of(false), verdicts(driver.clock("beijing", 6_000, 4_000)), "6000 - 2000 is not provably off");
    assertTrue(driver.sequencer.regionStatuses().stream()
        .anyMatch(r -> r.region().equals("beijing") && r.clockOffsetMicros().getAsLong() == 6_000 && !r.clockFlagged()));
  }

  /**
   * Found by the whole-system simulation (seed 21211): a verdict that clears the flag is lost with
   * its stream, the region reconnects and reports the same good offset; unless the new stream is
   * told again, the region keeps refusing every purchase for its clock.
   */
  @Test
  void eachNewStreamIsToldTheVerdictAgainOnItsFirstReport() {
    assertEquals(List.of(true), verdicts(driver.clock("beijing", 20_000, 200)));
    assertEquals(List.of(false), verdicts(driver.clock("beijing", 1_000, 200)), "cleared, but this one is lost in flight");
    driver.disconnect("beijing");
    driver.connect("beijing");
    assertEquals(List.of(false), verdicts(driver.clock("beijing", 1_000, 200)));
    assertEquals(List.of(), verdicts(driver.clock("beijing", 1_100, 200)), "once per stream, then on changes");
  }

  @Test
  void aFlaggedRegionsTicketsAreRejectedAndOthersSellWithoutWaitingForIt() {
    driver.send("beijing", ticket("b1", "beijing", 100));
    driver.clock("beijing", 50_000, 100);
    List<Effect> effects = driver.send("beijing", ticket("b2", "beijing", 200));
    List<Effect.RejectTicket> rejections = SequencerDriver.of(effects, Effect.RejectTicket.class);
    assertEquals(TicketRefusal.CLOCK_SKEW, rejections.get(0).reason());

    driver.send("shanghai", ticket("s1", "shanghai", 50), ticket("s2", "shanghai", 300));
    driver.persistAll();
    assertEquals(List.of("s1", "b1", "s2"), driver.decidedOrder(),
        "the flagged region's queued ticket is still released in order; its silence blocks nobody");
  }

  @Test
  void unflaggingMakesTheRegionHoldTheFrontierAgain() {
    driver.watermark("beijing", 100);
    driver.clock("beijing", 50_000, 100);
    driver.send("shanghai", ticket("s1", "shanghai", 150));
    assertEquals(1, driver.unpersistedBatches());
    driver.persistAll();
    driver.clock("beijing", 0, 100);
    driver.send("shanghai", ticket("s2", "shanghai", 300));
    assertEquals(0, driver.unpersistedBatches(), "beijing's watermark 100 holds s2 back again");
    driver.watermark("beijing", 400);
    driver.persistAll();
    assertEquals(List.of("s1", "s2"), driver.decidedOrder());
  }
}
