package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Each released ticket is decided against the per-user limit, then all or nothing against stock. */
class SequencerDecisionRulesTest {

  private final SequencerDriver driver = new SequencerDriver();

  private List<LossReason> decide(long stock, int perUserLimit, Ticket... tickets) {
    driver.add(SequencerDriver.spec(stock, perUserLimit, 3, "beijing"));
    driver.connect("beijing");
    driver.send("beijing", tickets);
    driver.persistAll();
    return driver.store.decisions(SequencerDriver.EVENT).stream().map(Decision::lossReason).toList();
  }

  @Test
  void aUserCannotWinMoreThanTheLimitEvenAcrossRequests() {
    List<LossReason> reasons = decide(100, 3,
        ticket("a", "alice", 2, "beijing", 10),
        ticket("b", "alice", 2, "beijing", 20),
        ticket("c", "alice", 1, "beijing", 30),
        ticket("d", "alice", 1, "beijing", 40),
        ticket("e", "bob", 4, "beijing", 50));
    assertEquals(List.of(LossReason.NONE, LossReason.LIMIT_EXCEEDED, LossReason.NONE, LossReason.LIMIT_EXCEEDED,
        LossReason.LIMIT_EXCEEDED), reasons);
    assertEquals(97, driver.status().remainingStock());
  }

  @Test
  void aRequestLargerThanTheRemainderLosesWholeAndALaterSmallerOneStillWins() {
    List<LossReason> reasons = decide(5, 10,
        ticket("a", "alice", 3, "beijing", 10),
        ticket("b", "bob", 3, "beijing", 20),
        ticket("c", "carol", 2, "beijing", 30),
        ticket("d", "dave", 1, "beijing", 40));
    assertEquals(List.of(LossReason.NONE, LossReason.INSUFFICIENT_STOCK, LossReason.NONE, LossReason.SOLD_OUT), reasons);
    EventStatus status = driver.status();
    assertEquals(0, status.remainingStock());
    assertEquals(5, status.unitsSold());
    assertEquals(2, status.wins());
    assertEquals(2, status.losses());
  }

  @Test
  void soldOutIsBroadcastOnceWithTheStampOfTheWinnerThatTookTheLastUnit() {
    decide(3, 10,
        ticket("a", "alice", 2, "beijing", 10),
        ticket("b", "bob", 2, "beijing", 20),
        ticket("c", "carol", 1, "beijing", 30),
        ticket("d", "dave", 1, "beijing", 40));
    List<Effect.BroadcastSoldOut> soldOut = SequencerDriver.of(driver.effects, Effect.BroadcastSoldOut.class);
    assertEquals(List.of(new Effect.BroadcastSoldOut(SequencerDriver.EVENT, 30)), soldOut);
    assertEquals(OptionalLong.of(30), driver.status().soldOutMicros());
  }

  @Test
  void ranksAreConsecutiveAndDecideTimeIsTheReleasingInput() {
    driver.add(SequencerDriver.spec(10, 10, 3, "beijing", "shanghai"));
    driver.connect("beijing", "shanghai");
    driver.send("beijing", ticket("a", "beijing", 10), ticket("b", "beijing", 20));
    driver.nowMicros = 2_000_000;
    driver.watermark("shanghai", 15);
    driver.persistAll();
    driver.nowMicros = 3_000_000;
    driver.watermark("shanghai", 25);
    driver.persistAll();
    List<Decision> decisions = driver.store.decisions(SequencerDriver.EVENT);
    assertEquals(List.of(1L, 2L), decisions.stream().map(Decision::rank).toList());
    assertEquals(List.of(2_000_000L, 3_000_000L), decisions.stream().map(Decision::decideMicros).toList());
    assertTrue(decisions.stream().noneMatch(Decision::late));
  }
}
