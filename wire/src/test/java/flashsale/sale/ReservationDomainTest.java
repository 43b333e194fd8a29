package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.wire.WireMapping;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** A reservation's values keep their invariants and survive the wire unchanged. */
class ReservationDomainTest {
  private static final Map<String, Long> SLOTS = new LinkedHashMap<>(Map.of("18:00", 4L));

  static {
    SLOTS.put("19:00", 2L);
  }

  private static EventSpec tables() {
    return EventSpec.reservation("t", "tables", SLOTS, 0, 1_000, 2, List.of("east", "west"), 9);
  }

  private static Ticket ticket(String... slots) {
    return new Ticket("t", "r1", "u1", 2, "east", 10, 300, List.of(slots));
  }

  @Test
  void aReservationsStockIsItsSlotsTotalAndItRanksOnlyInGlobalOrder() {
    assertEquals(6, tables().stock());
    assertEquals(EventKind.RESERVATION, tables().kind());
    assertThrows(IllegalArgumentException.class, () -> new EventSpec("t", "x", 6, 0, 1_000, 2, List.of("east"),
        SaleMode.SHARDED, 9, Map.of("east", 6L), SLOTS));
    assertThrows(IllegalArgumentException.class, () -> new EventSpec("t", "x", 7, 0, 1_000, 2, List.of("east"),
        SaleMode.GLOBAL_ORDER, 9, Map.of(), SLOTS));
    assertThrows(IllegalArgumentException.class, () -> EventSpec.reservation("t", "x", Map.of("a", 0L), 0, 1_000, 2,
        List.of("east"), 9));
  }

  @Test
  void aRequestsSlotsMustFitTheEventsKind() {
    assertNull(tables().slotsProblem(List.of("19:00", "18:00")));
    assertTrue(tables().slotsProblem(List.of()).contains("is a reservation"));
    assertTrue(tables().slotsProblem(List.of("18:00", "20:00")).contains("'20:00', which event t does not have"));
    assertTrue(tables().slotsProblem(List.of("18:00", "18:00")).contains("twice"));
    var flash = new EventSpec("f", "x", 5, 0, 1_000, 2, List.of("east"), SaleMode.GLOBAL_ORDER, 9);
    assertTrue(flash.slotsProblem(List.of("18:00")).contains("flash sale"));
    assertThrows(IllegalArgumentException.class, () -> ticket("a", "a"));
  }

  @Test
  void onlyAWinnerHoldsASlotAndOnlyOneItAskedFor() {
    new Decision(ticket("18:00", "19:00"), Outcome.WON, LossReason.NONE, 1, 20, false, false, "19:00");
    assertThrows(IllegalArgumentException.class,
        () -> new Decision(ticket("18:00"), Outcome.WON, LossReason.NONE, 1, 20, false, false, "19:00"));
    assertThrows(IllegalArgumentException.class,
        () -> new Decision(ticket("18:00"), Outcome.WON, LossReason.NONE, 1, 20, false, false, ""));
    assertThrows(IllegalArgumentException.class,
        () -> new Decision(ticket("18:00"), Outcome.LOST, LossReason.NO_SLOT_AVAILABLE, 1, 20, false, false, "18:00"));
  }

  @Test
  void aHeadsSlotsNeverGoBelowZeroNorAboveCapacityAndSumToWhatIsLeft() {
    EventSpec spec = tables();
    assertEquals(SLOTS, EventHead.fresh(spec).remainingBySlot());
    assertThrows(IllegalStateException.class, () -> new EventHead(spec, 6, 0, 0, 0, OptionalLong.empty(),
        Optional.empty(), Map.of("18:00", 5L, "19:00", 1L)));
    assertThrows(IllegalStateException.class, () -> new EventHead(spec, 3, 1, 1, 0, OptionalLong.empty(),
        Optional.empty(), Map.of("18:00", 4L, "19:00", -1L)));
    assertThrows(IllegalStateException.class, () -> new EventHead(spec, 3, 1, 1, 0, OptionalLong.empty(),
        Optional.empty(), Map.of("18:00", 2L)));
    new EventHead(spec, 4, 1, 1, 0, OptionalLong.empty(), Optional.empty(), Map.of("18:00", 2L, "19:00", 2L));
  }

  @Test
  void eventsAndDecisionsSurviveTheWire() {
    assertEquals(tables(), WireMapping.fromProto(WireMapping.toProto(tables()), 9));
    assertEquals(List.of("18:00", "19:00"), List.copyOf(WireMapping.fromProto(WireMapping.toProto(tables()), 9).slots().keySet()));
    var won = new Decision(ticket("18:00", "19:00"), Outcome.WON, LossReason.NONE, 3, 20, false, true, "19:00");
    assertEquals(won, WireMapping.fromProto(WireMapping.toProto(won)));
    var lost = new Decision(ticket("18:00"), Outcome.LOST, LossReason.NO_SLOT_AVAILABLE, 4, 20, true, false, "");
    assertEquals(lost, WireMapping.fromProto(WireMapping.toProto(lost)));
    var flash = new EventSpec("f", "x", 5, 0, 1_000, 2, List.of("east"), SaleMode.GLOBAL_ORDER, 9);
    assertEquals(flash, WireMapping.fromProto(WireMapping.toProto(flash).toBuilder()
        .setKind(flashsale.v1.EventKind.EVENT_KIND_UNSPECIFIED).build(), 9), "an old client's event is a flash sale");
  }
}
