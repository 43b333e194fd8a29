package flashsale.store;

import static flashsale.store.ArbiterStoreContract.persist;
import static flashsale.store.ArbiterStoreContract.rejected;
import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static flashsale.store.Sales.reservation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventKind;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The store contract's reservation cases: slots survive the store, and a batch that would fill a
 * slot past its capacity (or take a slot the event lacks) writes nothing, whatever the leader believed.
 */
interface ReservationStoreContract {
  ArbiterStore store();

  private static Map<String, Long> slots(Object... nameThenCapacity) {
    Map<String, Long> slots = new LinkedHashMap<>();
    for (int i = 0; i < nameThenCapacity.length; i += 2) {
      slots.put((String) nameThenCapacity[i], ((Number) nameThenCapacity[i + 1]).longValue());
    }
    return slots;
  }

  @Test
  default void reservationReadsBackWithItsSlotsAndTheHeadCountsWhatIsLeftOfEach() {
    EventSpec spec = reservation("r1", slots("18:00", 4, "19:00", 2, "20:00", 3), 4);
    assertEquals(spec, store().createEvent("c", spec));
    assertEquals(Optional.of(spec), store().findEvent("r1"));
    assertEquals(EventKind.RESERVATION, store().findEvent("r1").orElseThrow().kind());
    assertEquals(List.of("18:00", "19:00", "20:00"), List.copyOf(store().findEvent("r1").orElseThrow().slots().keySet()));
    DecisionBatch b = batch("r1", 1, 1)
        .reserve("q1", "u1", 3, List.of("18:00", "19:00"), "18:00")
        .reserve("q2", "u2", 2, List.of("18:00", "19:00"), "19:00")
        .loseSlots("q3", "u3", 2, List.of("18:00", "19:00"), LossReason.NO_SLOT_AVAILABLE)
        .reserve("q4", "u4", 1, List.of("19:00", "18:00"), "18:00")
        .build();
    persist(store(), b);
    for (Decision d : b.decisions()) assertEquals(Optional.of(d), store().findDecision("r1", d.requestId()));
    var head = store().loadHead("r1");
    assertEquals(Map.of("18:00", 0L, "19:00", 0L, "20:00", 3L), head.remainingBySlot());
    assertEquals(3, head.remainingStock());
    EventLedger ledger = store().loadLedger("r1");
    assertEquals(b.decisions(), ledger.decisions());
    assertEquals(List.of("q1", "q2", "q4"), store().readOutbox("r1").stream().map(Decision::requestId).toList());
  }

  @Test
  default void batchThatOverfillsOneSlotWritesNothingThoughTheEventHasRoomElsewhere() {
    store().createEvent("c", reservation("r1", slots("a", 2, "b", 5), 5));
    DecisionBatch overfill = batch("r1", 1, 1)
        .reserve("q1", "u1", 1, List.of("a"), "a")
        .reserve("q2", "u2", 2, List.of("a", "b"), "a")
        .build();
    var refusal = rejected(store(), overfill);
    assertTrue(refusal.getMessage().contains("slot a"), refusal.getMessage());
    assertEquals(Optional.empty(), store().findDecision("r1", "q1"));
    assertEquals(Map.of("a", 2L, "b", 5L), store().loadHead("r1").remainingBySlot());
    assertEquals(List.of(), store().readOutbox("r1"));

    persist(store(), batch("r1", 1, 1)
        .reserve("q1", "u1", 1, List.of("a"), "a")
        .reserve("q2", "u2", 2, List.of("a", "b"), "b")
        .build());
    assertEquals(Map.of("a", 1L, "b", 3L), store().loadHead("r1").remainingBySlot());
    // Across batches too: the slot holds 1, so 2 more do not fit.
    rejected(store(), batch("r1", 2, 3).reserve("q3", "u3", 2, List.of("a"), "a").build());
    persist(store(), batch("r1", 2, 3).reserve("q3", "u3", 1, List.of("a"), "a").build());
    assertEquals(Map.of("a", 0L, "b", 3L), store().loadHead("r1").remainingBySlot());
  }

  @Test
  default void winnersMustTakeASlotOfAReservationAndNoneOfAFlashSale() {
    store().createEvent("c", reservation("r1", slots("a", 2), 5));
    store().createEvent("c2", event("f1", 5, 5));
    rejected(store(), batch("r1", 1, 1).reserve("q1", "u1", 1, List.of("zz"), "zz").build());
    rejected(store(), batch("r1", 1, 1).win("q1", "u1", 1).build());
    rejected(store(), batch("f1", 1, 1).reserve("q1", "u1", 1, List.of("a"), "a").build());
    assertEquals(Map.of("a", 2L), store().loadHead("r1").remainingBySlot());
    assertEquals(5, store().loadHead("f1").remainingStock());
    assertEquals(0, store().loadHead("f1").lastRank());
  }

  @Test
  default void soldOutWhenEverySlotIsFull() {
    store().createEvent("c", reservation("r1", slots("a", 1, "b", 1), 5));
    persist(store(), batch("r1", 1, 1).reserve("q1", "u1", 1, List.of("b"), "b").build());
    assertTrue(store().loadHead("r1").soldOutMicros().isEmpty());
    DecisionBatch last = batch("r1", 2, 2).reserve("q2", "u2", 1, List.of("b", "a"), "a").build();
    persist(store(), last);
    assertEquals(Optional.of(last.decisions().get(0).ticket().stampMicros()),
        store().loadHead("r1").soldOutMicros().stream().boxed().findFirst());
  }

  @Test
  default void aCreateRetryWithOtherSlotsIsAnotherRequest() {
    store().createEvent("c", reservation("r1", slots("a", 2, "b", 2), 5));
    assertThrows(RequestIdReusedException.class,
        () -> store().createEvent("c", reservation("r1", slots("a", 3, "b", 1), 5)));
    assertEquals(Map.of("a", 2L, "b", 2L), store().findEvent("r1").orElseThrow().slots());
  }
}
