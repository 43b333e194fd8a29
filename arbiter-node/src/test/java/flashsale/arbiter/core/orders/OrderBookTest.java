package flashsale.arbiter.core.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.orders.OrderAnswer.Outcome;
import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import flashsale.wire.OrderWire;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OrderBookTest {
  static final long WINDOW = 2_000_000;

  final List<OrderTransition> written = new ArrayList<>();
  final List<OrderWrite> writes = new ArrayList<>();

  OrderBook book(long stock, int limit, long bound) {
    return new OrderBook("e", stock, limit, new OrderTerms(WINDOW, bound), OrderSnapshot.empty(Optional.empty()));
  }

  static Decision won(long rank, String rid, String user, int qty, long atMicros) {
    return new Decision(new Ticket("e", rid, user, qty, "r", rank), flashsale.sale.Outcome.WON, LossReason.NONE, rank,
        atMicros, false);
  }

  static Decision lost(long rank, String rid, String user, int qty, LossReason why) {
    return new Decision(new Ticket("e", rid, user, qty, "r", rank), flashsale.sale.Outcome.LOST, why, rank, 0, false);
  }

  /** Acknowledges every write (the store holds it), the next one too, as an adapter would. */
  void ack(OrderBook book, List<OrderEffect> effects) {
    for (int i = 0; i < effects.size(); i++) {
      if (effects.get(i) instanceof OrderEffect.PersistOrders p) {
        written.addAll(p.write().transitions());
        writes.add(p.write());
        effects.addAll(book.persisted(p.write().sequence()));
      }
    }
  }

  List<OrderEffect> mutable(List<OrderEffect> effects) {
    return new ArrayList<>(effects);
  }

  /**
   * Stored state that lost a unit (3 won, 1 paid and 1 awaiting payment, none free) would strand it
   * unsold for good, and a user holding past the limit breaks a rule: the book refuses to run on
   * either, rather than settle quietly short of the stock.
   */
  @Test
  void aBookRefusesStoredStateThatLostAUnitOrHoldsAUserPastTheLimit() {
    OrderTerms terms = new OrderTerms(WINDOW, 4);
    List<OrderRecord> twoOfThree = List.of(new OrderRecord("a", "u1", 1, 1, PurchaseState.PAID, 500),
        new OrderRecord("b", "u2", 1, 2, PurchaseState.AWAITING_PAYMENT, 600));
    IllegalStateException lost = assertThrows(IllegalStateException.class, () -> new OrderBook("e", 3, 2, terms,
        new OrderSnapshot(Optional.of(terms), twoOfThree, 0, 1, 3, 0, 3, 0)));
    assertTrue(lost.getMessage().contains("is not the 3 units won"), lost.getMessage());

    List<OrderRecord> overLimit = List.of(new OrderRecord("a", "u1", 2, 1, PurchaseState.PAID, 500),
        new OrderRecord("b", "u1", 1, 2, PurchaseState.AWAITING_PAYMENT, 600));
    IllegalStateException limit = assertThrows(IllegalStateException.class, () -> new OrderBook("e", 3, 2, terms,
        new OrderSnapshot(Optional.of(terms), overLimit, 0, 1, 2, 0, 3, 0)));
    assertTrue(limit.getMessage().contains("user u1 holds 3 units"), limit.getMessage());
  }

  @Test
  void whoeverIsStillWaitlistedWhenTheLastWinnerPaysIsToldTheWaitlistClosed() {
    OrderBook book = book(1, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100), lost(2, "b", "u2", 1, LossReason.SOLD_OUT),
        lost(3, "c", "u3", 1, LossReason.SOLD_OUT)), 100)));
    ack(book, mutable(book.saleEnded(200)));
    assertEquals(2, book.waitlistLength(), "a's unit may still come back");
    assertFalse(book.settled());

    List<OrderEffect> effects = new ArrayList<>();
    assertTrue(book.confirm("a", 300, effects).done());
    ack(book, effects);
    assertEquals(PurchaseState.WAITLIST_CLOSED, book.find("b").orElseThrow().state());
    assertEquals(PurchaseState.WAITLIST_CLOSED, book.find("c").orElseThrow().state());
    assertEquals(0, book.waitlistLength());
    assertTrue(book.settled(), "nothing can change any more");
    assertEquals(List.of(Kind.PAID, Kind.WAITLIST_CLOSED, Kind.WAITLIST_CLOSED),
        written.subList(written.size() - 3, written.size()).stream().map(OrderTransition::kind).toList(),
        "the closures are written (and so reach the outbox) with the payment that made them final");
  }

  @Test
  void aLoserForStockAfterEveryUnitIsPaidIsClosedOutAsItJoins() {
    OrderBook book = book(1, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100)), 100)));
    List<OrderEffect> effects = new ArrayList<>();
    book.confirm("a", 150, effects);
    ack(book, effects);
    // The sale has not ended, but its stock is all won and paid: no unit can ever come back.
    ack(book, mutable(book.decided(List.of(lost(2, "b", "u2", 1, LossReason.SOLD_OUT)), 200)));
    assertEquals(PurchaseState.WAITLIST_CLOSED, book.find("b").orElseThrow().state());
    assertEquals(List.of(Kind.WAITLISTED, Kind.WAITLIST_CLOSED),
        written.subList(written.size() - 2, written.size()).stream().map(OrderTransition::kind).toList());
  }

  @Test
  void unitsThatFitNobodyWhenTheLastWindowEndsCloseTheWaitlist() {
    OrderBook book = book(2, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100), won(2, "b", "u2", 1, 100),
        lost(3, "c", "u3", 2, LossReason.INSUFFICIENT_STOCK)), 100)));
    ack(book, mutable(book.saleEnded(200)));
    List<OrderEffect> effects = new ArrayList<>();
    book.confirm("a", 300, effects);
    ack(book, effects);
    assertEquals(PurchaseState.WAITLISTED, book.find("c").orElseThrow().state(), "b may still give its unit back");
    ack(book, mutable(book.tick(100 + WINDOW))); // b expires: 1 unit free, c asks for 2
    assertEquals(1, book.freeUnits());
    assertEquals(PurchaseState.WAITLIST_CLOSED, book.find("c").orElseThrow().state());
    assertTrue(book.settled());
  }

  /**
   * Stock 2: a wins 1, b asks for 2 while 1 is left and waits. The unit the sale never sold is
   * freed for the waitlist when it ends (stored before anyone is told); with a's unit given back
   * the two fit b, who gets a payment window instead of a closed waitlist.
   */
  @Test
  void theUnitTheSaleNeverSoldGoesToTheWaitlistBesideAUnitGivenBack() {
    OrderBook book = book(2, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100), lost(2, "b", "u2", 2, LossReason.INSUFFICIENT_STOCK)),
        100)));
    ack(book, mutable(book.saleEnded(200)));
    assertEquals(1, book.freeUnits());
    assertEquals(1, writes.getLast().unsoldUnitsFreed(), "the freeing is written like any change");
    assertEquals(PurchaseState.WAITLISTED, book.find("b").orElseThrow().state(), "1 unit does not fit 2");

    List<OrderEffect> effects = new ArrayList<>();
    assertTrue(book.cancel("a", 300, effects).done());
    ack(book, effects);
    OrderRecord b = book.find("b").orElseThrow();
    assertEquals(PurchaseState.AWAITING_PAYMENT, b.state());
    assertEquals(300 + WINDOW, b.deadlineMicros());
    assertEquals(0, book.freeUnits());
    assertEquals(1, writes.stream().filter(w -> w.unsoldUnitsFreed() > 0).count(), "freed once");
    ack(book, mutable(book.saleEnded(400)));
    assertEquals(0, book.freeUnits(), "a second end frees nothing");
  }

  /** Nobody waiting: the unsold stock stays unsold, and no write is made for it. */
  @Test
  void theUnsoldStockIsNotFreedForAnEmptyWaitlist() {
    OrderBook book = book(3, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100)), 100)));
    int before = writes.size();
    ack(book, mutable(book.saleEnded(200)));
    assertEquals(0, book.freeUnits());
    assertEquals(before, writes.size());
  }

  /**
   * A new leader whose store freed the unsold stock already does not free it again at the sale's
   * end; the unit given back by an expiry then fits the waiting buyer of 2.
   */
  @Test
  void aNewLeaderDoesNotFreeTheUnsoldStockTwice() {
    OrderTerms terms = new OrderTerms(WINDOW, 4);
    List<OrderRecord> stored = List.of(new OrderRecord("a", "u1", 1, 1, PurchaseState.AWAITING_PAYMENT, 100 + WINDOW),
        new OrderRecord("b", "u2", 2, 2, PurchaseState.WAITLISTED, 0));
    OrderBook book = new OrderBook("e", 2, 2, terms, new OrderSnapshot(Optional.of(terms), stored, 1, 2, 2, 1, 1, 1));
    ack(book, mutable(book.saleEnded(200)));
    assertEquals(1, book.freeUnits());
    assertTrue(writes.stream().allMatch(w -> w.unsoldUnitsFreed() == 0));
    ack(book, mutable(book.tick(100 + WINDOW)));
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("b").orElseThrow().state());
    assertEquals(0, book.freeUnits());
  }

  @Test
  void losersBeyondTheWaitlistAdvanceTheStoredRankEveryTenThousandDecisions() {
    OrderBook book = book(1, 2, 1);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100), lost(2, "b", "u2", 1, LossReason.SOLD_OUT)), 100)));
    List<OrderWrite> writes = new ArrayList<>();
    long rank = 2;
    for (int batch = 0; batch < 25; batch++) {
      List<Decision> losers = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        rank++;
        losers.add(lost(rank, "l" + rank, "u" + rank, 1, LossReason.SOLD_OUT));
      }
      List<OrderEffect> effects = mutable(book.decided(losers, 200));
      effects.stream().filter(e -> e instanceof OrderEffect.PersistOrders)
          .forEach(e -> writes.add(((OrderEffect.PersistOrders) e).write()));
      ack(book, effects);
    }
    // Nothing changes for them (the waitlist is full), but a new leader reads every decision past
    // the stored rank: it stays within 10,000 of the last decision.
    assertEquals(List.of(10_002L, 20_002L), writes.stream().map(OrderWrite::enrolledThroughRank).toList());
    assertTrue(writes.stream().allMatch(w -> w.transitions().isEmpty()));
  }

  @Test
  void aWinAwaitsPaymentUntilTheWindowEndsAndPaysBeforeIt() {
    OrderBook book = book(2, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100)), 100)));
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("a").orElseThrow().state());
    assertEquals(100 + WINDOW, book.find("a").orElseThrow().deadlineMicros());

    List<OrderEffect> effects = new ArrayList<>();
    OrderAnswer paid = book.confirm("a", 100 + WINDOW - 1, effects);
    assertEquals(Outcome.DONE, paid.outcome());
    assertEquals(2, paid.durableAtSequence(), "told only once written");
    ack(book, effects);
    assertEquals(1, book.paidUnits());

    List<OrderEffect> again = new ArrayList<>();
    OrderAnswer repeat = book.confirm("a", 100 + WINDOW + 5, again);
    assertEquals(Outcome.DONE, repeat.outcome());
    assertEquals(PurchaseState.PAID, repeat.state());
    assertEquals(0, repeat.durableAtSequence());
    assertTrue(again.isEmpty(), "a repeat writes nothing");
  }

  /**
   * The order a region pushes after a cancel (built from the transition; the outbox entry carries
   * the same deadline) is the one GetOrder shows (the book's, as the store keeps it): the payment
   * deadline the purchase had is still there.
   */
  @Test
  void aCancelledOrderIsPushedWithTheDeadlineGetOrderShows() {
    OrderBook book = book(2, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 100)), 100)));
    List<OrderEffect> effects = new ArrayList<>();
    assertTrue(book.cancel("a", 200, effects).done());
    ack(book, effects);

    OrderTransition cancelled = written.getLast();
    assertEquals(Kind.CANCELLED, cancelled.kind());
    assertEquals(100 + WINDOW, cancelled.deadlineMicros());
    flashsale.v1.Order shown = OrderWire.toProto("e", book.find("a").orElseThrow());
    assertTrue(shown.hasPaymentDeadlineTime());
    assertEquals(shown, OrderWire.toProto("e", cancelled), "pushed as GetOrder shows it");
  }

  @Test
  void aConfirmAtTheDeadlineIsRefusedAndTheUnitGoesToTheFirstWaitlisted() {
    OrderBook book = book(1, 1, 2);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), lost(2, "b", "u2", 1, LossReason.SOLD_OUT),
        lost(3, "c", "u3", 1, LossReason.SOLD_OUT)), 0)));
    List<OrderEffect> effects = new ArrayList<>();
    OrderAnswer late = book.confirm("a", WINDOW, effects);
    assertEquals(Outcome.REFUSED, late.outcome());
    assertEquals(PurchaseState.EXPIRED, late.state());
    ack(book, effects);
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("b").orElseThrow().state());
    assertEquals(2 * WINDOW, book.find("b").orElseThrow().deadlineMicros(), "a fresh window");
    assertEquals(PurchaseState.WAITLISTED, book.find("c").orElseThrow().state());
    assertEquals(List.of(Kind.EXPIRED, Kind.PROMOTED), written.subList(written.size() - 2, written.size()).stream()
        .map(OrderTransition::kind).toList());
  }

  @Test
  void releasedUnitsGoToTheEarliestWhoseQuantityFitsNeverPastAnEarlierThatFits() {
    OrderBook book = book(3, 3, 10);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 2, 0), won(2, "b", "u2", 1, 0),
        lost(3, "big", "u3", 3, LossReason.SOLD_OUT), lost(4, "two", "u4", 2, LossReason.SOLD_OUT),
        lost(5, "one", "u5", 1, LossReason.SOLD_OUT)), 0)));
    List<OrderEffect> effects = new ArrayList<>();
    book.cancel("a", 10, effects); // 2 units back: "big" needs 3, "two" fits
    ack(book, effects);
    assertEquals(PurchaseState.WAITLISTED, book.find("big").orElseThrow().state());
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("two").orElseThrow().state());
    assertEquals(PurchaseState.WAITLISTED, book.find("one").orElseThrow().state(), "no unit left for a later one");
    effects.clear();
    book.cancel("b", 20, effects); // 1 unit back: "big" still does not fit, "one" does
    ack(book, effects);
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("one").orElseThrow().state());
    assertEquals(0, book.freeUnits());
  }

  @Test
  void onlyLosersForLackOfStockWaitAndOnlyUpToTheBound() {
    OrderBook book = book(1, 2, 2); // a limit of 2: c's two units are within it
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), lost(2, "lim", "u1", 1, LossReason.LIMIT_EXCEEDED),
        lost(3, "b", "u2", 1, LossReason.SOLD_OUT), lost(4, "c", "u3", 2, LossReason.INSUFFICIENT_STOCK),
        lost(5, "d", "u4", 1, LossReason.SOLD_OUT)), 0)));
    assertTrue(book.find("lim").isEmpty());
    assertEquals(PurchaseState.WAITLISTED, book.find("b").orElseThrow().state());
    assertEquals(PurchaseState.WAITLISTED, book.find("c").orElseThrow().state());
    assertTrue(book.find("d").isEmpty(), "beyond the bound");
    assertEquals(2, book.waitlistLength());
    assertEquals(Outcome.UNKNOWN, book.confirm("d", 1, new ArrayList<>()).outcome());
  }

  @Test
  void aPromotionNeverTakesAUserPastTheLimit() {
    OrderBook book = book(2, 1, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), won(2, "b", "u2", 1, 0),
        lost(3, "b2", "u2", 1, LossReason.SOLD_OUT), lost(4, "c", "u3", 1, LossReason.SOLD_OUT)), 0)));
    List<OrderEffect> effects = new ArrayList<>();
    book.cancel("a", 5, effects);
    ack(book, effects);
    assertEquals(Optional.empty(), book.find("b2"), "u2 holds its limit: given no place at all");
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("c").orElseThrow().state());
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("b").orElseThrow().state());
  }

  @Test
  void expiryOnTheClockPassesUnitsDownTheWaitlistOneWindowAtATime() {
    OrderBook book = book(1, 1, 3);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), lost(2, "b", "u2", 1, LossReason.SOLD_OUT),
        lost(3, "c", "u3", 1, LossReason.SOLD_OUT)), 0)));
    ack(book, mutable(book.tick(WINDOW - 1)));
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("a").orElseThrow().state());
    ack(book, mutable(book.tick(WINDOW)));
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("b").orElseThrow().state());
    ack(book, mutable(book.tick(2 * WINDOW)));
    assertEquals(PurchaseState.EXPIRED, book.find("b").orElseThrow().state());
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("c").orElseThrow().state());
    List<OrderEffect> effects = new ArrayList<>();
    assertTrue(book.confirm("c", 2 * WINDOW + 1, effects).done());
    ack(book, effects);
    assertTrue(book.settled());
    assertEquals(1, book.paidUnits());
  }

  @Test
  void changesMadeWhileAWriteIsInFlightWaitForTheNextWrite() {
    OrderBook book = book(2, 1, 0);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), won(2, "b", "u2", 1, 0)), 0)));
    List<OrderEffect> first = new ArrayList<>();
    OrderAnswer a = book.confirm("a", 1, first);
    List<OrderEffect> second = new ArrayList<>();
    OrderAnswer b = book.confirm("b", 2, second);
    assertEquals(1, first.size());
    assertTrue(second.isEmpty(), "one write in flight per event");
    assertEquals(a.durableAtSequence() + 1, b.durableAtSequence());
    List<OrderEffect> after = book.persisted(a.durableAtSequence());
    assertEquals(2, after.size());
    assertTrue(OrderEffect.PersistOrders.class.isInstance(after.get(1)));
  }

  @Test
  void aCancelledOrWaitlistedPurchaseCannotBePaid() {
    OrderBook book = book(1, 1, 1);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), lost(2, "b", "u2", 1, LossReason.SOLD_OUT)), 0)));
    List<OrderEffect> effects = new ArrayList<>();
    assertEquals(PurchaseState.WAITLISTED, book.confirm("b", 1, effects).state());
    assertTrue(book.cancel("a", 1, effects).done());
    ack(book, effects);
    OrderAnswer paidAfterCancel = book.confirm("a", 2, new ArrayList<>());
    assertEquals(Outcome.REFUSED, paidAfterCancel.outcome());
    assertEquals(PurchaseState.CANCELLED, paidAfterCancel.state());
    assertEquals(PurchaseState.AWAITING_PAYMENT, book.find("b").orElseThrow().state());
  }

  @Test
  void theWaitlistIsToldFullOnlyOnceTheStoreHoldsAsManyJoinsAsItsBound() {
    OrderBook book = book(1, 1, 2);
    List<OrderEffect> first = book.decided(List.of(won(1, "a", "u1", 1, 0), lost(2, "b", "u2", 1, LossReason.SOLD_OUT)), 0);
    List<OrderEffect> second = book.decided(List.of(lost(3, "c", "u3", 1, LossReason.SOLD_OUT),
        lost(4, "d", "u4", 1, LossReason.SOLD_OUT)), 0);
    assertTrue(second.isEmpty(), "queued behind the write in flight");
    assertFalse(book.durableWaitlistFull(), "c joined, the bound is reached, but only in memory");
    OrderEffect.PersistOrders write1 = (OrderEffect.PersistOrders) first.get(0);
    List<OrderEffect> after1 = book.persisted(write1.write().sequence());
    assertEquals(new OrderEffect.OrdersDurable("e", 1, write1.write().transitions(), false), after1.get(0));
    OrderEffect.PersistOrders write2 = (OrderEffect.PersistOrders) after1.get(1);
    assertEquals(List.of("c"), write2.write().transitions().stream().map(OrderTransition::requestId).toList(),
        "d is past the bound: no order");
    assertFalse(book.durableWaitlistFull());
    OrderEffect.OrdersDurable told = (OrderEffect.OrdersDurable) book.persisted(write2.write().sequence()).get(0);
    assertTrue(told.waitlistFull(), "d is now known not waitlisted from the store alone");
    assertTrue(book.durableWaitlistFull());
  }
  /**
   * One user, one share of the line: a user's orders (wins and places) never pass the per-user
   * limit, so a user who clicks again after the sell-out, or who already won, takes no more places
   * than it could ever be promoted for; the next user in order gets the place instead. The one
   * passed over is told NOT_WAITLISTED only once a write covering its rank is stored.
   */
  @Test
  void aUserTakesNoMoreWaitlistPlacesThanItsLimitAllowsAndTheNextUserGetsThem() {
    OrderBook book = book(1, 1, 2);
    List<OrderEffect> effects = book.decided(List.of(won(1, "a", "u1", 1, 0),
        lost(2, "x1", "u9", 1, LossReason.SOLD_OUT), lost(3, "x2", "u9", 1, LossReason.SOLD_OUT),
        lost(4, "a2", "u1", 1, LossReason.SOLD_OUT), lost(5, "c", "u3", 1, LossReason.SOLD_OUT)), 0);

    assertEquals(PurchaseState.WAITLISTED, book.find("x1").orElseThrow().state());
    assertEquals(Optional.empty(), book.find("x2"), "u9 already holds a place: its limit is 1");
    assertEquals(Optional.empty(), book.find("a2"), "u1 already won its one unit");
    assertEquals(PurchaseState.WAITLISTED, book.find("c").orElseThrow().state(), "the second place is u3's");
    assertFalse(book.durablyNotWaitlisted(3), "not stored yet");
    OrderEffect.PersistOrders write = (OrderEffect.PersistOrders) effects.get(0);
    OrderEffect.OrdersDurable told = (OrderEffect.OrdersDurable) book.persisted(write.write().sequence()).get(0);
    assertEquals(List.of(new OrderRecord("x2", "u9", 1, 3, PurchaseState.NOT_WAITLISTED, 0),
        new OrderRecord("a2", "u1", 1, 4, PurchaseState.NOT_WAITLISTED, 0)), told.notWaitlisted());
    assertTrue(book.durablyNotWaitlisted(3));
    assertTrue(book.durablyNotWaitlisted(4));
  }

  /** With a limit of 2 a winner of one unit may still wait for a second; a third request waits for nothing. */
  @Test
  void underALimitOfTwoAWinnerOfOneUnitMayWaitForOneMore() {
    OrderBook book = book(2, 2, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0), won(2, "b", "u2", 1, 0),
        lost(3, "a2", "u1", 1, LossReason.SOLD_OUT), lost(4, "a3", "u1", 1, LossReason.SOLD_OUT)), 0)));

    assertEquals(PurchaseState.WAITLISTED, book.find("a2").orElseThrow().state());
    assertEquals(Optional.empty(), book.find("a3"));
    assertTrue(book.durablyNotWaitlisted(4));
  }

  /** A passed-over loser alone still makes a write: its rank is stored, or it would be "being recorded" for good. */
  @Test
  void aLoserPassedOverInABatchWithNoChangeStillGetsItsRankStored() {
    OrderBook book = book(1, 1, 4);
    ack(book, mutable(book.decided(List.of(won(1, "a", "u1", 1, 0)), 0)));
    List<OrderEffect> effects = book.decided(List.of(lost(2, "a2", "u1", 1, LossReason.SOLD_OUT)), 0);

    OrderEffect.PersistOrders write = (OrderEffect.PersistOrders) effects.get(0);
    assertEquals(List.of(), write.write().transitions());
    assertEquals(2, write.write().enrolledThroughRank());
    assertFalse(book.settled(), "a write is in flight");
    book.persisted(write.write().sequence());
    assertTrue(book.durablyNotWaitlisted(2));
  }

  /** After a failover the book counts the user's stored orders: its place, held before, is still its one. */
  @Test
  void aRebuiltBookCountsTheUsersStoredOrders() {
    OrderTerms terms = new OrderTerms(WINDOW, 4);
    List<OrderRecord> stored = List.of(new OrderRecord("a", "u1", 1, 1, PurchaseState.AWAITING_PAYMENT, 500),
        new OrderRecord("x1", "u9", 1, 2, PurchaseState.WAITLISTED, 0));
    OrderBook book = new OrderBook("e", 1, 1, terms, new OrderSnapshot(Optional.of(terms), stored, 0, 1, 2, 1, 1, 0));

    book.decided(List.of(lost(3, "x2", "u9", 1, LossReason.SOLD_OUT), lost(4, "c", "u3", 1, LossReason.SOLD_OUT)), 0);

    assertEquals(Optional.empty(), book.find("x2"));
    assertEquals(PurchaseState.WAITLISTED, book.find("c").orElseThrow().state());
  }
}
