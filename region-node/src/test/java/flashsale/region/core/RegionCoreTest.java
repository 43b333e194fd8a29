package flashsale.region.core;

import flashsale.sale.TicketRefusal;
import flashsale.sale.SaleState;
import static flashsale.region.core.Specs.END;
import static flashsale.region.core.Specs.REGION;
import static flashsale.region.core.Specs.START;
import static flashsale.region.core.Specs.buy;
import static flashsale.region.core.Specs.open;
import static flashsale.region.core.Specs.won;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.sale.ErrorReason;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegionCoreTest {
  private final FakeClock clock = new FakeClock(1_500_000);
  private final RegionCore core = new RegionCore(REGION, 100, 1000, clock);

  RegionCoreTest() {
    core.eventAnnounced(open("shoes"));
  }

  private static Failure failureOf(Admission r) {
    return assertInstanceOf(Admission.Failed.class, r).failure();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "empty event id         | ''      | alice | r1 | 1 | event_id",
      "event id with a brace  | sh{o}es | alice | r1 | 1 | event_id",
      "empty user id          | shoes   | ''    | r1 | 1 | user_id",
      "user id with space     | shoes   | a b   | r1 | 1 | user_id",
      "empty request id       | shoes   | alice | '' | 1 | request_id",
      "request id with space  | shoes   | alice | r 1 | 1 | request_id",
      "zero quantity          | shoes   | alice | r1 | 0 | quantity",
      "negative quantity      | shoes   | alice | r1 | -3 | quantity",
      "quantity above limit   | shoes   | alice | r1 | 3 | quantity"})
  void invalidFieldIsNamedInTheFailure(String name, String event, String user, String req, int qty, String field) {
    Failure f = failureOf(core.purchase(buy(event, user, req, qty)));
    assertEquals(ErrorReason.INVALID_FIELD, f.reason(), f.message());
    assertEquals(Map.of("field", field), f.metadata());
  }

  @Test
  void idsAtTheirLengthLimitsPassAndOneMoreCharacterFails() {
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "u".repeat(64), "r".repeat(128), 1)));
    assertEquals(Map.of("field", "user_id"), failureOf(core.purchase(buy("shoes", "u".repeat(65), "x", 1))).metadata());
    assertEquals(Map.of("field", "request_id"),
        failureOf(core.purchase(buy("shoes", "bob", "r".repeat(129), 1))).metadata());
  }

  @Test
  void unknownEventIsNotFound() {
    assertEquals(ErrorReason.EVENT_NOT_FOUND, failureOf(core.purchase(buy("hats", "alice", "r1", 1))).reason());
  }

  @Test
  void stampBeforeStartAtEndOrAfterIsOutsideTheSale() {
    clock.set(START - 1);
    Failure early = failureOf(core.purchase(buy("shoes", "alice", "r1", 1)));
    assertEquals(ErrorReason.EVENT_NOT_STARTED, early.reason());
    assertEquals("event shoes starts at " + java.time.Instant.ofEpochSecond(0, START * 1_000) + ", request stamped "
        + java.time.Instant.ofEpochSecond(0, (START - 1) * 1_000), early.message(), "times a person can read");
    clock.set(START);
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r2", 1)));
    clock.set(END);
    // Not known here: it may be a retry of one decided elsewhere, so the arbiter is asked before EVENT_ENDED.
    assertEquals(ErrorReason.EVENT_ENDED, assertInstanceOf(Admission.Unremembered.class,
        core.purchase(buy("shoes", "alice", "r3", 1))).otherwise().reason());
    assertInstanceOf(Admission.Joined.class, core.purchase(buy("shoes", "alice", "r2", 1)), "a retry of one pending here joins it");
  }

  @Test
  void aDecisionRememberedOutlivesItsEventHereAndAnswersARetry() {
    clock.set(START + 10);
    Ticket ticket = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1))).ticket();
    assertTrue(core.rememberedAnswer(buy("shoes", "alice", "r1", 1)).isEmpty(), "pending: no answer yet");
    core.decisionsArrived(java.util.List.of(won(ticket, 1)));
    assertEquals(java.util.List.of("shoes"), core.forgetEventsEndedBefore(END + 1));
    assertFalse(core.knowsEvent("shoes"));

    assertInstanceOf(Admission.Decided.class, core.rememberedAnswer(buy("shoes", "alice", "r1", 1)).orElseThrow());
    assertEquals(ErrorReason.REQUEST_ID_REUSED, failureOf(core.rememberedAnswer(buy("shoes", "bob", "r1", 1)).orElseThrow())
        .reason());
    assertTrue(core.rememberedAnswer(buy("shoes", "alice", "r2", 1)).isEmpty(), "never seen: the event is looked up");
  }

  @Test
  void eventsThatEndedLongAgoWithNothingPendingAreLetGoAndLookedUpAgainLater() {
    core.eventAnnounced(open("busy"));
    core.eventAnnounced(new flashsale.sale.EventSpec("live", "shoes", 10, START, END * 10, 2, java.util.List.of(REGION),
        SaleMode.GLOBAL_ORDER, 0));
    clock.set(START + 10);
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("busy", "alice", "waits", 1)));
    core.soldOut("shoes", START + 5);
    assertEquals(java.util.List.of("shoes"), core.forgetEventsEndedBefore(END + 1),
        "busy holds a pending ticket, live has not ended");
    assertFalse(core.knowsEvent("shoes"));
    assertTrue(core.knowsEvent("busy") && core.knowsEvent("live"));
    assertEquals(java.util.List.of(), core.forgetEventsEndedBefore(END), "nothing ended before its end");
    core.eventAnnounced(open("shoes")); // looked up again
    assertTrue(core.eventView("shoes").isPresent());
    assertTrue(core.eventView("shoes").orElseThrow().soldOutMicros().isEmpty(), "what was kept of it went with it");
  }

  @Test
  void aTicketRefusedAsNotOpenAfterTheEndMayHaveBeenDecidedAndIsAskedAbout() {
    Ticket pending = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1))).ticket();
    assertFalse(core.refusedAfterTheEventWasLetGo("shoes", "r1", TicketRefusal.EVENT_NOT_OPEN), "the sale is still on");
    clock.set(END + 1);
    assertTrue(core.refusedAfterTheEventWasLetGo("shoes", "r1", TicketRefusal.EVENT_NOT_OPEN));
    assertFalse(core.refusedAfterTheEventWasLetGo("shoes", "r1", TicketRefusal.CLOCK_SKEW));
    assertFalse(core.refusedAfterTheEventWasLetGo("shoes", "other", TicketRefusal.EVENT_NOT_OPEN), "not pending here");
    assertEquals(ErrorReason.EVENT_ENDED, core.rejected("shoes", "r1", TicketRefusal.EVENT_NOT_OPEN, "unknown event")
        .orElseThrow().result() instanceof Admission.Failed f ? f.failure().reason() : null,
        "stamped inside, refused after the end: ended, not 'not started' (" + pending + ")");
  }

  @Test
  void regionNotSellingTheEventAndOtherModesAreRefused() {
    core.eventAnnounced(Specs.elsewhere("hats"));
    core.eventAnnounced(Specs.withMode("socks", SaleMode.SHARDED));
    assertEquals(ErrorReason.REGION_NOT_IN_EVENT, failureOf(core.purchase(buy("hats", "alice", "r1", 1))).reason());
    assertEquals(ErrorReason.MODE_NOT_SUPPORTED, failureOf(core.purchase(buy("socks", "alice", "r2", 1))).reason());
  }

  @Test
  void flaggedClockRefusesNewPurchasesButStillAnswersRetries() {
    var t = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1))).ticket();
    core.decisionsArrived(java.util.List.of(won(t, 1)));
    core.clockVerdict(true, "offset 80 ms > 10 ms");
    Failure f = failureOf(core.purchase(buy("shoes", "bob", "r2", 1)));
    assertEquals(ErrorReason.CLOCK_SKEW, f.reason());
    assertTrue(f.message().contains("offset 80 ms"), f.message());
    assertInstanceOf(Admission.Decided.class, core.purchase(buy("shoes", "alice", "r1", 1)));
    core.clockVerdict(false, "ok");
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "bob", "r2", 1)));
  }

  @Test
  void watermarkStampsSitBetweenTicketStamps() {
    var a = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1))).ticket();
    long watermark = core.nextStamp();
    var b = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "bob", "r2", 1))).ticket();
    assertTrue(a.stampMicros() < watermark && watermark < b.stampMicros(), a + " " + watermark + " " + b);
  }

  @Test
  void rejectionsBecomeTheCallersError() {
    Ticket t1 = ticket("alice", "r1");
    Ticket t2 = ticket("bob", "r2");
    Ticket t3 = ticket("carol", "r3");
    assertEquals(ErrorReason.REQUEST_ID_REUSED, rejectedWith("r1", TicketRefusal.REQUEST_ID_CONFLICT));
    assertEquals(ErrorReason.CLOCK_SKEW, rejectedWith("r2", TicketRefusal.CLOCK_SKEW));
    assertEquals(ErrorReason.EVENT_NOT_STARTED, rejectedWith("r3", TicketRefusal.EVENT_NOT_OPEN));
    assertTrue(core.rejected("shoes", "r1", TicketRefusal.CLOCK_SKEW, "again").isEmpty(), "already ended");
    assertTrue(core.undecidedTickets().isEmpty(), t1 + " " + t2 + " " + t3);
  }

  @Test
  void eventNotOpenRejectionSaysWhichSideOfTheWindowWhenTheStampShows() {
    Ticket late = new Ticket("shoes", "r9", "zed", 1, REGION, END + 5);
    Failure f = PurchaseRules.rejectionFailure(TicketRefusal.EVENT_NOT_OPEN, late,
        java.util.Optional.of(open("shoes")), "closed", END + 6);
    assertEquals(ErrorReason.EVENT_ENDED, f.reason());
    assertTrue(f.message().contains("closed"), f.message());
  }

  @Test
  void eventViewFollowsTheRegionClockAndSoldOutNotice() {
    clock.set(START - 10);
    assertEquals(SaleState.SCHEDULED, core.eventView("shoes").orElseThrow().state());
    clock.set(START + 10);
    assertEquals(SaleState.OPEN, core.eventView("shoes").orElseThrow().state());
    core.soldOut("shoes", START + 5);
    var view = core.eventView("shoes").orElseThrow();
    assertEquals(SaleState.SOLD_OUT, view.state());
    assertEquals(OptionalLong.of(START + 5), view.soldOutMicros());
    core.eventAnnounced(open("hats"));
    clock.set(END);
    assertEquals(SaleState.ENDED, core.eventView("hats").orElseThrow().state());
    assertTrue(core.eventView("socks").isEmpty());
  }

  private Ticket ticket(String user, String requestId) {
    return assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", user, requestId, 1))).ticket();
  }

  private ErrorReason rejectedWith(String requestId, TicketRefusal rejection) {
    Completion c = core.rejected("shoes", requestId, rejection, "test").orElseThrow();
    return assertInstanceOf(Admission.Failed.class, c.result()).failure().reason();
  }
}
