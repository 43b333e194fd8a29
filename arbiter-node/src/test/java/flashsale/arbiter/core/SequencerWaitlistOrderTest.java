package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Losers for lack of stock join an event's waitlist in rank order, so while the waitlist can take
 * them they are ranked in global stamp order, not answered as they reach the arbiter: a far
 * region's buyer who arrived first stays ahead of a near one who arrived later, though the near
 * one's ticket came in first. Beyond the bound (and without a waitlist) they are answered at once.
 */
class SequencerWaitlistOrderTest {
  final SequencerDriver driver = new SequencerDriver();

  /** Stock 1 sells to near's a@10; near's c@30 then reaches the arbiter before far's b@20. */
  private void sellOutThenNearLoserArrivesFirst(long waitlistBound) {
    driver.add(SequencerDriver.spec(1, 10, 3, "near", "far"), waitlistBound);
    nearLoserArrivesFirst();
  }

  private void nearLoserArrivesFirst() {
    driver.connect("near", "far");
    driver.send("near", ticket("a", "near", 10));
    driver.watermark("far", 15);
    driver.persistAll();
    driver.send("near", ticket("c", "near", 30));
    driver.persistAll();
    driver.send("far", ticket("b", "far", 20));
    driver.watermark("far", 35);
    driver.persistAll();
  }

  /** An event of one unit (per-user limit {@code perUserLimit}) sold to near's {@code buyer}@10, far's watermark at 15. */
  private void sellTheUnit(int perUserLimit, long waitlistBound, flashsale.sale.Ticket buyer) {
    driver.add(SequencerDriver.spec(1, perUserLimit, 3, "near", "far"), waitlistBound);
    driver.connect("near", "far");
    driver.send("near", buyer);
    driver.watermark("far", 15);
    driver.persistAll();
  }

  @Test
  void withAWaitlistTheLosersAreRankedInStampOrderWhicheverReachedTheArbiterFirst() {
    sellOutThenNearLoserArrivesFirst(2);
    assertEquals(List.of("a", "b", "c"), driver.decidedOrder());
    List<Decision> decided = driver.store.decisions(SequencerDriver.EVENT);
    assertEquals(List.of(LossReason.NONE, LossReason.SOLD_OUT, LossReason.SOLD_OUT),
        decided.stream().map(Decision::lossReason).toList());
  }

  @Test
  void withoutAWaitlistASoldOutLoserIsAnsweredWithoutWaitingForTheOtherRegions() {
    sellOutThenNearLoserArrivesFirst(0);
    assertEquals(List.of("a", "c", "b"), driver.decidedOrder(), "the sold-out fast path answers c as it comes");
  }

  @Test
  void beyondTheBoundLosersAreAnsweredAsTheyComeAgain() {
    sellOutThenNearLoserArrivesFirst(2); // b and c: two stock losses stored, the waitlist is full
    driver.send("near", ticket("e", "near", 50));
    assertEquals(1, driver.unpersistedBatches(), "e lost at once, far's watermark still at 35");
    driver.persistAll();
    assertEquals(List.of("a", "b", "c", "e"), driver.decidedOrder());
  }

  @Test
  void whileTheWaitlistHasRoomALoserWaitsForTheFrontierLikeAWin() {
    sellTheUnit(10, 5, ticket("a", "near", 10));
    driver.send("near", ticket("c", "near", 30));
    assertEquals(0, driver.unpersistedBatches(), "c waits for far's watermark to pass 30");
    driver.watermark("far", 31);
    assertEquals(1, driver.unpersistedBatches());
    driver.persistAll();
    assertTrue(driver.decidedOrder().contains("c"));
  }

  /**
   * The waitlist gives a user no more places than its limit (one here), so a user's second loss
   * for lack of stock fills nothing: with a bound of 2, b1 and b2 of one user leave room, and e,
   * which reached the arbiter first, still waits for far's f, stamped before it.
   */
  @Test
  void oneUsersSecondLossDoesNotCountTowardFillingTheWaitlist() {
    sellTheUnit(1, 2, ticket("a", "near", 10));
    driver.send("near", ticket("b1", "ub", 1, "near", 20), ticket("b2", "ub", 1, "near", 22));
    driver.watermark("far", 25);
    driver.persistAll();

    driver.send("near", ticket("e", "near", 50));
    assertEquals(0, driver.unpersistedBatches(), "e waits for the frontier: the waitlist has room for one more user");
    driver.send("far", ticket("f", "far", 40));
    driver.watermark("far", 55);
    driver.persistAll();
    assertEquals(List.of("a", "b1", "b2", "f", "e"), driver.decidedOrder());
  }

  /**
   * A new leader does not know who won before its term, so it counts the units won before on top
   * of the bound: here the old leader sold a's unit, the new one sees a's user lose again (no
   * place: its limit), and e must still wait for the frontier.
   */
  @Test
  void aNewLeaderCountsTheUnitsWonBeforeItsTermOnTopOfTheBound() {
    sellTheUnit(1, 1, ticket("a", "ua", 1, "near", 10));

    SequencerDriver next = new SequencerDriver(SequencerDriver.EXACT_STAMPS, driver.store);
    next.addFromStore(SequencerDriver.EVENT, 1);
    next.connect("near", "far");
    next.send("near", ticket("a2", "ua", 1, "near", 20));
    next.watermark("far", 25);
    next.persistAll();
    next.send("near", ticket("e", "near", 50));
    assertEquals(0, next.unpersistedBatches(), "one loss counted, the bound (1) plus the unit won before (1) not reached");
  }
}
