package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.TicketRefusal;
import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One decision per request id, whatever a region resends after a reconnect or a user retries elsewhere. */
class SequencerRetryTest {

  private final SequencerDriver driver = new SequencerDriver();
  private final Ticket first = ticket("r1", "alice", 1, "beijing", 100);
  private final Ticket second = ticket("r2", "bob", 1, "beijing", 200);

  @BeforeEach
  void twoRegions() {
    driver.add(SequencerDriver.spec(10, 2, 5, "beijing", "shanghai"));
    driver.connect("beijing", "shanghai");
  }

  @Test
  void ticketsResentAfterReconnectAreDecidedOnce() {
    driver.send("beijing", first, second);
    driver.connect("beijing");
    driver.send("beijing", first, second, ticket("r3", "beijing", 300));
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    assertEquals(List.of("r1", "r2", "r3"), driver.decidedOrder());
    assertEquals(List.of("r1", "r2", "r3"), driver.toldTo("beijing").stream().map(Decision::requestId).toList());
  }

  @Test
  void aResendOfAPersistedDecisionGetsTheSameDecisionAtOnce() {
    driver.send("beijing", first);
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    Decision told = driver.toldTo("beijing").get(0);

    driver.connect("beijing");
    List<Effect> effects = driver.send("beijing", first);
    assertEquals(List.of(new Effect.SendDecisions("beijing", List.of(told))), effects);
    assertEquals(1, driver.store.decisions(SequencerDriver.EVENT).size());
  }

  @Test
  void aResendOfADecisionInFlightIsToldOnceItPersists() {
    driver.send("beijing", first);
    driver.watermark("shanghai", 1000);
    assertEquals(1, driver.unpersistedBatches());
    driver.connect("beijing");
    assertEquals(List.of(), driver.send("beijing", first));
    driver.persistAll();
    assertEquals(1, driver.toldTo("beijing").size(), "told once, not once per copy");
  }

  @Test
  void aRetryThroughAnotherRegionIsToldToBothRegions() {
    driver.send("beijing", first);
    Ticket sameInShanghai = new Ticket(first.eventId(), "r1", "alice", 1, "shanghai", 150);
    assertEquals(List.of(), driver.send("shanghai", sameInShanghai).stream()
        .filter(e -> !(e instanceof Effect.PersistBatch)).toList());
    driver.persistAll();
    assertEquals(1, driver.store.decisions(SequencerDriver.EVENT).size());
    assertEquals(driver.toldTo("beijing"), driver.toldTo("shanghai"));
    assertEquals(1, driver.toldTo("shanghai").size());
  }

  @Test
  void aRetryStampedAfterTheSaleGetsTheDecisionNotARefusal() {
    driver.add(new flashsale.sale.EventSpec("brief", "shoes", 10, 0, 500, 2, List.of("beijing", "shanghai"),
        flashsale.sale.SaleMode.GLOBAL_ORDER, 5)); // ends at 500 us, well before the arbiter's clock
    Ticket bought = new Ticket("brief", "b1", "alice", 1, "beijing", 100);
    driver.send("beijing", bought);
    driver.watermark("shanghai", 550); // past the end; the retry below comes later on that stream
    driver.persistAll();
    Decision told = driver.toldTo("beijing").stream().filter(d -> d.requestId().equals("b1")).findFirst().orElseThrow();
    Ticket retriedAfterTheEnd = new Ticket("brief", "b1", "alice", 1, "shanghai", 600);
    assertEquals(List.of(new Effect.SendDecisions("shanghai", List.of(told))), driver.send("shanghai", retriedAfterTheEnd),
        "the stored decision, not EVENT_NOT_OPEN");
    Ticket newAfterTheEnd = new Ticket("brief", "b9", "zed", 1, "shanghai", 601);
    assertEquals(List.of(TicketRefusal.EVENT_NOT_OPEN), SequencerDriver.of(driver.send("shanghai", newAfterTheEnd),
        Effect.RejectTicket.class).stream().map(Effect.RejectTicket::reason).toList(), "a new request is judged by the window");
  }

  @Test
  void theSameRequestIdWithOtherContentIsRejectedWhetherPendingOrDecided() {
    driver.send("beijing", first);
    Ticket otherQuantity = ticket("r1", "alice", 2, "beijing", 150);
    Ticket otherUser = ticket("r1", "mallory", 1, "shanghai", 1100);
    assertEquals(TicketRefusal.REQUEST_ID_CONFLICT, rejection(driver.send("beijing", otherQuantity)));
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    assertEquals(TicketRefusal.REQUEST_ID_CONFLICT, rejection(driver.send("shanghai", otherUser)));
    assertEquals(List.of("r1"), driver.decidedOrder());
    assertEquals(first, driver.store.decisions(SequencerDriver.EVENT).get(0).ticket());
  }

  private static TicketRefusal rejection(List<Effect> effects) {
    List<Effect.RejectTicket> rejections = SequencerDriver.of(effects, Effect.RejectTicket.class);
    assertEquals(1, rejections.size(), effects.toString());
    assertTrue(rejections.get(0).message().contains("r1"));
    return rejections.get(0).reason();
  }

  /**
   * A sold-out event drains its waiting tickets into one batch. When the store refuses that batch
   * (one of them was decided in an earlier term, which this leader's head does not list), the
   * stored one is told as stored and the others go back to their queues and are decided once.
   */
  @Test
  void aDrainedBatchTheStoreRefusesTellsTheStoredDecisionAndDecidesTheRestOnce() {
    CheckedStore store = new CheckedStore();
    store.create(SequencerDriver.spec(2, 1, 5, "beijing", "shanghai"));
    Ticket x = ticket("x", "xavier", 1, "beijing", 10);
    Ticket bob = ticket("bob", "bob", 1, "beijing", 20);
    store.apply(new flashsale.sale.DecisionBatch(SequencerDriver.EVENT, 1, List.of( // an earlier term sold out
        new Decision(x, flashsale.sale.Outcome.WON, flashsale.sale.LossReason.NONE, 1, 15, false, false, ""),
        new Decision(bob, flashsale.sale.Outcome.WON, flashsale.sale.LossReason.NONE, 2, 25, false, false, ""))));
    SequencerDriver leader = new SequencerDriver(SequencerDriver.EXACT_STAMPS, store);
    leader.addFromStore(SequencerDriver.EVENT);
    leader.connect("beijing", "shanghai");

    leader.send("beijing", bob, ticket("carol", "carol", 1, "beijing", 30)); // bob resent after the failover
    leader.watermark("shanghai", 1000);
    assertEquals(1, leader.unpersistedBatches(), "sold out: both drained into one batch");
    leader.persistAll();

    assertEquals(List.of("x", "bob", "carol"), store.decisions(SequencerDriver.EVENT).stream()
        .map(Decision::requestId).toList(), "carol decided once, after the refusal");
    assertEquals(flashsale.sale.LossReason.SOLD_OUT, store.decision(SequencerDriver.EVENT, "carol").lossReason());
    List<Decision> told = leader.toldTo("beijing");
    assertEquals(List.of("bob", "carol"), told.stream().map(Decision::requestId).toList());
    assertTrue(told.get(0).won() && told.get(0).rank() == 2, "bob hears the stored win: " + told.get(0));
    assertEquals(3, told.get(1).rank());
  }
}
