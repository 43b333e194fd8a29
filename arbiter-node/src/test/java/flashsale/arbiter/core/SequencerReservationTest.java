package flashsale.arbiter.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A reservation on the same sequencer: in global order, each ticket gets the first slot on its
 * list with room for its whole quantity (serial dictatorship), or loses with the reason.
 */
class SequencerReservationTest {

  private final SequencerDriver driver = new SequencerDriver();

  private static EventSpec tables(int perUserLimit, Object... nameThenCapacity) {
    Map<String, Long> slots = new LinkedHashMap<>();
    for (int i = 0; i < nameThenCapacity.length; i += 2) slots.put((String) nameThenCapacity[i], (long) (int) nameThenCapacity[i + 1]);
    return EventSpec.reservation(SequencerDriver.EVENT, "tables", slots, 0, 1L << 50, perUserLimit,
        List.of("beijing", "shanghai"), 7);
  }

  private static Ticket ask(String requestId, int quantity, String region, long stampMicros, String... slots) {
    return new Ticket(SequencerDriver.EVENT, requestId, "user-" + requestId, quantity, region, stampMicros, 0,
        List.of(slots));
  }

  /** Slot won per request id ("" for a loss), in decided order. */
  private List<String> slotsInOrder() {
    return driver.store.decisions(SequencerDriver.EVENT).stream().map(d -> d.requestId() + "=" + d.slot()).toList();
  }

  private void start(EventSpec spec) {
    driver.add(spec);
    driver.connect("beijing", "shanghai");
  }

  @Test
  void eachTicketGetsTheFirstSlotOnItsListWithRoomInStampOrderAcrossRegions() {
    start(tables(4, "18:00", 2, "19:00", 2));
    // Sent out of global order: the far region's earlier tickets arrive after the near region's.
    driver.send("beijing", ask("b1", 1, "beijing", 20, "18:00", "19:00"), ask("b2", 1, "beijing", 40, "18:00"));
    driver.send("shanghai", ask("s1", 1, "shanghai", 10, "18:00"), ask("s2", 1, "shanghai", 30, "18:00", "19:00"));
    driver.watermarks(100, "beijing", "shanghai");
    driver.persistAll();
    assertEquals(List.of("s1=18:00", "b1=18:00", "s2=19:00", "b2="), slotsInOrder());
    Decision b2 = driver.store.decision(SequencerDriver.EVENT, "b2");
    assertEquals(LossReason.NO_SLOT_AVAILABLE, b2.lossReason(), "19:00 had room, but b2 did not accept it");
    assertEquals(Map.of("18:00", 0L, "19:00", 1L), driver.status().remainingBySlot());
    assertEquals(1, driver.status().remainingStock());
  }

  @Test
  void allOrNothingPerSlotAndALaterSmallerRequestStillFitsTheSlotPassedOver() {
    start(tables(4, "a", 3, "b", 3));
    driver.send("beijing",
        ask("r1", 2, "beijing", 10, "a", "b"),
        ask("r2", 2, "beijing", 20, "a", "b"),
        ask("r3", 1, "beijing", 30, "a"),
        ask("r4", 2, "beijing", 40, "b", "a"),
        ask("r5", 1, "beijing", 50, "b"));
    driver.watermark("shanghai", 100);
    driver.persistAll();
    assertEquals(List.of("r1=a", "r2=b", "r3=a", "r4=", "r5=b"), slotsInOrder());
    assertEquals(LossReason.NO_SLOT_AVAILABLE, driver.store.decision(SequencerDriver.EVENT, "r4").lossReason(),
        "1 unit was left (in b) for a request of 2: room was short, not stock gone");
  }

  @Test
  void soldOutWhenEverySlotIsFullAndEveryWaitingTicketLosesWithoutTheFrontier() {
    start(tables(4, "a", 1, "b", 1));
    driver.send("beijing", ask("r1", 1, "beijing", 10, "a"), ask("r2", 1, "beijing", 20, "a", "b"));
    driver.watermark("shanghai", 25);
    driver.persistAll();
    assertEquals(List.of(new Effect.BroadcastSoldOut(SequencerDriver.EVENT, 20)),
        SequencerDriver.of(driver.effects, Effect.BroadcastSoldOut.class));
    assertEquals(OptionalLong.of(20), driver.status().soldOutMicros());
    // Shanghai's watermark stays at 25: a sold-out event answers without waiting for it.
    driver.send("beijing", ask("r3", 1, "beijing", 30, "b"));
    driver.persistAll();
    assertEquals(LossReason.SOLD_OUT, driver.store.decision(SequencerDriver.EVENT, "r3").lossReason());
  }

  @Test
  void theLimitComesBeforeTheSlotsAndCountsEveryUnitAUserReserved() {
    start(tables(2, "a", 5, "b", 5));
    driver.send("beijing",
        new Ticket(SequencerDriver.EVENT, "x1", "alice", 2, "beijing", 10, 0, List.of("a")),
        new Ticket(SequencerDriver.EVENT, "x2", "alice", 1, "beijing", 20, 0, List.of("b")));
    driver.watermark("shanghai", 100);
    driver.persistAll();
    assertEquals(LossReason.LIMIT_EXCEEDED, driver.store.decision(SequencerDriver.EVENT, "x2").lossReason());
    assertEquals(Map.of("a", 3L, "b", 5L), driver.status().remainingBySlot());
  }

  @Test
  void aTicketThatDoesNotFitTheEventsSlotsIsRejectedNotRanked() {
    start(tables(4, "a", 2));
    driver.send("beijing", ask("unknown", 1, "beijing", 10, "zz"), ask("none", 1, "beijing", 20));
    driver.watermark("shanghai", 100);
    driver.persistAll();
    List<Effect.RejectTicket> rejected = SequencerDriver.of(driver.effects, Effect.RejectTicket.class);
    assertEquals(List.of("unknown", "none"), rejected.stream().map(r -> r.ticket().requestId()).toList());
    assertTrue(rejected.get(0).message().contains("slots name 'zz'"), rejected.get(0).message());
    assertEquals(0, driver.status().decisions());
  }

  @Test
  void aSlotTakenByABatchTheStoreRefusesIsGivenBackAndGoesToTheNextInOrder() {
    CheckedStore store = new CheckedStore();
    store.create(tables(1, "a", 1, "b", 1));
    // An earlier term: alice reserved b (her limit is 1).
    Ticket earlier = new Ticket(SequencerDriver.EVENT, "old", "alice", 1, "beijing", 5, 0, List.of("b"));
    store.apply(new DecisionBatch(SequencerDriver.EVENT, 1,
        List.of(new Decision(earlier, Outcome.WON, LossReason.NONE, 1, 5, false, false, "b"))));
    SequencerDriver leader = new SequencerDriver(SequencerDriver.EXACT_STAMPS, store);
    leader.addFromStore(SequencerDriver.EVENT);
    leader.connect("beijing", "shanghai");
    // This leader does not know alice's unit: it gives her a, the store refuses, and bob gets a.
    leader.send("beijing",
        new Ticket(SequencerDriver.EVENT, "again", "alice", 1, "beijing", 10, 0, List.of("a")),
        new Ticket(SequencerDriver.EVENT, "bob", "bob", 1, "beijing", 20, 0, List.of("a")));
    leader.watermark("shanghai", 100);
    leader.persistAll();
    assertEquals(LossReason.LIMIT_EXCEEDED, store.decision(SequencerDriver.EVENT, "again").lossReason());
    assertEquals("a", store.decision(SequencerDriver.EVENT, "bob").slot());
    assertEquals(Map.of("a", 0L, "b", 0L), leader.status().remainingBySlot());
  }
}
