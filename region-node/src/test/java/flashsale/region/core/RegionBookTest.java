package flashsale.region.core;

import static flashsale.region.core.Specs.REGION;
import static flashsale.region.core.Specs.buy;
import static flashsale.region.core.Specs.open;
import static flashsale.region.core.Specs.won;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import flashsale.sale.ErrorReason;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegionBookTest {
  private final EventSpec shoes = open("shoes");
  private final RegionBook book = new RegionBook(REGION, 100, 1000);
  private long stamp = 1_500_000;

  private Admission buyShoes(String user, String requestId, int quantity) {
    return book.purchase(buy("shoes", user, requestId, quantity), shoes, stamp++);
  }

  private Ticket ticketed(String user, String requestId) {
    return assertInstanceOf(Admission.Ticketed.class, buyShoes(user, requestId, 1)).ticket();
  }

  private static ErrorReason reasonOf(Admission r) {
    return assertInstanceOf(Admission.Failed.class, r).failure().reason();
  }

  @Test
  void newPurchaseBecomesAPendingTicketStampedInThisRegion() {
    Ticket t = ticketed("alice", "r1");
    assertEquals(new Ticket("shoes", "r1", "alice", 1, REGION, 1_500_000), t);
    assertEquals(List.of(t), book.undecidedTickets());
  }

  @Test
  void sameRequestIdWithSameContentJoinsThePendingPurchase() {
    Ticket t = ticketed("alice", "r1");
    assertEquals(new Admission.Joined(t), buyShoes("alice", "r1", 1));
    assertEquals(1, book.pendingCount(), "a retry never creates a second ticket");
  }

  @Test
  void sameRequestIdWithOtherUserEventOrQuantityIsRefused() {
    ticketed("alice", "r1");
    assertEquals(ErrorReason.REQUEST_ID_REUSED, reasonOf(buyShoes("bob", "r1", 1)));
    assertEquals(ErrorReason.REQUEST_ID_REUSED, reasonOf(buyShoes("alice", "r1", 2)));
    EventSpec hats = open("hats");
    assertEquals(ErrorReason.REQUEST_ID_REUSED, reasonOf(book.purchase(buy("hats", "alice", "r1", 1), hats, stamp++)));
  }

  @Test
  void decidedRequestIdGetsTheSameDecisionAgain() {
    Ticket t = ticketed("alice", "r1");
    var done = book.decided(won(t, 1)).orElseThrow();
    var answer = new Answer.Ranked(won(t, 1));
    assertEquals(new Completion("r1", new Admission.Decided(answer)), done);
    assertEquals(new Admission.Decided(answer), buyShoes("alice", "r1", 1));
    assertEquals(ErrorReason.REQUEST_ID_REUSED, reasonOf(buyShoes("alice", "r1", 2)));
    assertTrue(book.undecidedTickets().isEmpty());
  }

  /** A pending ticket holds the spec's event id; its remembered decision equals the arbiter's. */
  @Test
  void aRememberedDecisionEqualsTheArbitersOne() {
    Ticket pending = assertInstanceOf(Admission.Ticketed.class,
        book.purchase(buy(new String("shoes"), "alice", "r1", 1), shoes, stamp++)).ticket();
    assertTrue(pending.eventId() == shoes.eventId(), "the event id is the spec's");
    Ticket decoded = new Ticket(new String("shoes"), new String("r1"), new String("alice"), 1, new String(REGION),
        pending.stampMicros(), pending.errorBoundMicros());
    Decision decision = won(decoded, 1);

    book.decided(decision).orElseThrow();

    assertEquals(decision, assertInstanceOf(Answer.Ranked.class, book.answer("r1").orElseThrow()).decision());
  }

  @Test
  void soldOutLeavesPendingTicketsToTheArbiter() {
    Ticket early = ticketed("alice", "r1");
    Ticket late = ticketed("carol", "r3");
    book.soldOut("shoes", early.stampMicros());
    // the later ticket may be a retry of a purchase that already won elsewhere: only the arbiter knows
    assertEquals(List.of(early, late), book.undecidedTickets());
  }

  @Test
  void afterSoldOutANewRequestIsStillTicketedSoTheArbiterRecordsItsAnswer() {
    Ticket pending = ticketed("alice", "r1");
    book.soldOut("shoes", pending.stampMicros());
    Ticket fresh = assertInstanceOf(Admission.Ticketed.class, buyShoes("dave", "r9", 1)).ticket();
    assertEquals(List.of(pending, fresh), book.undecidedTickets(), "the arbiter answers and records it");

    Decision lost = new Decision(fresh, Outcome.LOST, LossReason.SOLD_OUT, 4, 1_600_000, false);
    assertTrue(book.decided(lost).isPresent());
    assertEquals(new Admission.Decided(new Answer.Ranked(lost)), buyShoes("dave", "r9", 1),
        "a retry gets the recorded loss");
  }

  @Test
  void soldOutOfOneEventLeavesOtherEventsAlone() {
    EventSpec hats = open("hats");
    var hat = assertInstanceOf(Admission.Ticketed.class,
        book.purchase(buy("hats", "alice", "h1", 1), hats, stamp++)).ticket();
    book.soldOut("shoes", 0);
    assertInstanceOf(Admission.Ticketed.class, book.purchase(buy("hats", "bob", "h2", 1), hats, stamp++));
    assertEquals(hat, book.undecidedTickets().get(0));
  }

  @Test
  void undecidedTicketsComeInStampOrderWithoutTheDecidedOnes() {
    Ticket a = ticketed("alice", "a");
    Ticket b = ticketed("bob", "b");
    Ticket c = ticketed("carol", "c");
    book.decided(won(b, 1));
    assertEquals(List.of(a, c), book.undecidedTickets());
  }

  @Test
  void refusesMoreThanMaxPendingAndAcceptsAgainOnceOneIsDecided() {
    RegionBook small = new RegionBook(REGION, 2, 10);
    Ticket first = assertInstanceOf(Admission.Ticketed.class,
        small.purchase(buy("shoes", "u1", "q1", 1), shoes, 1_500_001)).ticket();
    small.purchase(buy("shoes", "u2", "q2", 1), shoes, 1_500_002);
    assertEquals(ErrorReason.TOO_MANY_PENDING, reasonOf(small.purchase(buy("shoes", "u3", "q3", 1), shoes, 1_500_003)));
    small.decided(won(first, 1));
    assertInstanceOf(Admission.Ticketed.class, small.purchase(buy("shoes", "u3", "q3", 1), shoes, 1_500_004));
  }

  @Test
  void remembersOnlyTheMostRecentDecisions() {
    RegionBook small = new RegionBook(REGION, 10, 2);
    for (int i = 1; i <= 3; i++) {
      Ticket t = assertInstanceOf(Admission.Ticketed.class,
          small.purchase(buy("shoes", "u" + i, "q" + i, 1), shoes, 1_500_000 + i)).ticket();
      small.decided(won(t, i));
    }
    assertTrue(small.answer("q1").isEmpty(), "oldest decision forgotten");
    assertTrue(small.answer("q3").isPresent());
    assertEquals(2, small.rememberedCount());
  }

  @Test
  void rejectionEndsThePendingPurchaseSoARetryTicketsAgain() {
    ticketed("alice", "r1");
    var failure = Failure.of(ErrorReason.CLOCK_SKEW, "skewed");
    assertEquals(new Completion("r1", new Admission.Failed(failure)), book.rejected("r1", failure).orElseThrow());
    assertTrue(book.rejected("r1", failure).isEmpty());
    assertInstanceOf(Admission.Ticketed.class, buyShoes("alice", "r1", 1));
  }

  @Test
  void decisionOfAnotherRegionIsIgnored() {
    Ticket foreign = new Ticket("shoes", "x1", "zed", 1, "us", 1_500_000);
    assertTrue(book.decided(won(foreign, 1)).isEmpty());
    assertTrue(book.answer("x1").isEmpty());
  }

  @Test
  void decisionOfAnotherRegionsTicketCompletesTheRetryPendingHere() {
    ticketed("alice", "r1");
    Ticket first = new Ticket("shoes", "r1", "alice", 1, "us", 1_400_000);
    Completion done = book.decided(won(first, 7)).orElseThrow();
    assertEquals("r1", done.requestId());
    assertTrue(book.pendingTicket("r1").isEmpty());
    assertEquals(7, ((Answer.Ranked) book.answer("r1").orElseThrow()).decision().rank());
  }

  @Test
  void stampsGoingBackwardsAreABug() {
    book.purchase(buy("shoes", "alice", "r1", 1), shoes, 1_500_000);
    assertThrows(IllegalStateException.class,
        () -> book.purchase(buy("shoes", "bob", "r2", 1), shoes, 1_500_000));
  }
}
