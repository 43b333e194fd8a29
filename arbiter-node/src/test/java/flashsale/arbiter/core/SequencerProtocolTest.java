package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.TicketRefusal;
import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A region that breaks the stream protocol is cut off; a new stream may legitimately restart lower. */
class SequencerProtocolTest {

  private final SequencerDriver driver = new SequencerDriver();

  @BeforeEach
  void twoRegions() {
    driver.add(SequencerDriver.spec(10, 5, 9, "beijing", "shanghai"));
    driver.connect("beijing", "shanghai");
  }

  private List<Effect.CutOffRegion> cutOffs(List<Effect> effects) {
    return SequencerDriver.of(effects, Effect.CutOffRegion.class);
  }

  @Test
  void stampsGoingBackwardsWithinAStreamCutTheRegionOffAndDropTheRestOfTheInput() {
    List<Effect> effects = driver.send("beijing",
        ticket("a", "beijing", 200), ticket("b", "beijing", 100), ticket("c", "beijing", 300));
    assertEquals(1, cutOffs(effects).size());
    assertTrue(cutOffs(effects).get(0).reason().contains("100"), cutOffs(effects).get(0).reason());
    assertFalse(driver.sequencer.regionStatuses().get(0).connected());
    assertEquals(List.of(), driver.send("beijing", ticket("d", "beijing", 400)), "a cut-off region is not heard");
    assertEquals(1, driver.status().pendingTickets(), "only the ticket before the violation was admitted");
  }

  @Test
  void aRepeatedStampOrATicketAtAnEarlierWatermarkIsAViolation() {
    assertEquals(1, cutOffs(driver.send("beijing", ticket("a", "beijing", 200), ticket("b", "beijing", 200))).size());
    driver.watermark("shanghai", 500);
    assertEquals(1, cutOffs(driver.send("shanghai", ticket("c", "shanghai", 500))).size());
  }

  @Test
  void aWatermarkGoingBackwardsIsAViolation() {
    driver.watermark("beijing", 500);
    assertEquals(1, cutOffs(driver.watermark("beijing", 499)).size());
  }

  @Test
  void aStampOrWatermarkFromTheFutureIsAViolation() {
    long limit = driver.nowMicros + 5_000 + 1_000_000;
    assertEquals(List.of(), cutOffs(driver.send("beijing", ticket("a", "beijing", limit))));
    assertEquals(1, cutOffs(driver.send("shanghai", ticket("b", "shanghai", limit + 1))).size());
    driver.connect("shanghai");
    assertEquals(1, cutOffs(driver.watermark("shanghai", limit + 1)).size());
  }

  @Test
  void aNewStreamMayResendBelowItsWatermarkButANewTicketThereLosesAsBackDated() {
    driver.send("beijing", ticket("b1", "beijing", 100), ticket("b3", "beijing", 300));
    driver.send("shanghai", ticket("s1", "shanghai", 150));
    driver.connect("beijing");
    // b1 is known (a resend); b2 was never sent before b3 on the earlier stream, so it is back-dated
    driver.send("beijing", ticket("b1", "beijing", 100), ticket("b2", "beijing", 200));
    assertEquals(List.of(), cutOffs(driver.effects));
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    assertEquals(List.of("b1", "s1", "b3"), driver.decidedOrder().stream().filter(id -> !id.equals("b2")).toList());
    Decision b2 = driver.store.decision(SequencerDriver.EVENT, "b2");
    assertEquals(flashsale.sale.LossReason.STAMP_OUT_OF_BOUNDS, b2.lossReason());
  }

  @Test
  void aNewTicketBehindTheReleasedOrderIsDecidedLateInTheNextBatch() {
    driver.send("beijing", ticket("b1", "beijing", 100));
    driver.send("shanghai", ticket("s1", "shanghai", 250));
    driver.watermark("beijing", 150);
    driver.persistAll();
    assertEquals(List.of("b1"), driver.decidedOrder());
    driver.tick(3_000_000); // beijing falls silent past the region timeout: s1 goes without it
    driver.persistAll();
    assertEquals(List.of("b1", "s1"), driver.decidedOrder());
    driver.send("beijing", ticket("b2", "beijing", 200), ticket("b3", "beijing", 300));
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    assertEquals(List.of("b1", "s1", "b2", "b3"), driver.decidedOrder());
    List<Decision> decisions = driver.store.decisions(SequencerDriver.EVENT);
    assertEquals(List.of(false, false, true, false), decisions.stream().map(Decision::late).toList());
    assertEquals(1, driver.status().lateTickets());
  }

  @Test
  void ticketsOutsideTheSaleOrFromRegionsThatDoNotSellItAreRejectedAsNotOpen() {
    driver.connect("tokyo");
    List<Effect> effects = driver.send("beijing", ticket("early", "beijing", -5));
    effects = concat(effects, driver.send("tokyo", ticket("far", "tokyo", 10)));
    effects = concat(effects, driver.send("shanghai",
        new Ticket("nope", "x", "u", 1, "shanghai", 20)));
    List<Effect.RejectTicket> rejections = SequencerDriver.of(effects, Effect.RejectTicket.class);
    assertEquals(3, rejections.size(), effects.toString());
    assertTrue(rejections.stream().allMatch(r -> r.reason() == TicketRefusal.EVENT_NOT_OPEN));
    assertEquals(List.of("beijing", "tokyo", "shanghai"), rejections.stream().map(Effect.RejectTicket::region).toList());
    assertEquals(0, driver.status().pendingTickets());
  }

  private static List<Effect> concat(List<Effect> a, List<Effect> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }
}
