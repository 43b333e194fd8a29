package flashsale.store;

import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The order store's contract, run against the in-memory and the Redis store. */
abstract class OrderStoreContract {
  static final long WINDOW = 1_000_000;
  static final long DEADLINE = 5_000_000;

  protected ArbiterStore events;
  protected OrderStore orders;

  /** A fresh, empty pair of stores: the order store made from the arbiter store. */
  protected abstract ArbiterStore newEvents();

  protected abstract OrderStore ordersOf(ArbiterStore events);

  @BeforeEach
  void open() {
    events = newEvents();
    orders = ordersOf(events);
    events.createEvent("c", event("e", 2, 1));
    orders.putTerms("e", new OrderTerms(WINDOW, 2));
  }

  @AfterEach
  void close() {
    events.close();
  }

  static OrderTransition t(Kind kind, String rid, String user, int qty, long rank, long deadline, long at) {
    return new OrderTransition(kind, rid, user, qty, rank, deadline, at);
  }

  void write(long sequence, OrderTransition... transitions) {
    orders.persistOrders(new OrderWrite("e", sequence, 4, List.of(transitions)), ArbiterStore.UNFENCED).join();
  }

  Throwable refused(long sequence, OrderTransition... transitions) {
    var failure = assertThrows(CompletionException.class,
        () -> orders.persistOrders(new OrderWrite("e", sequence, 4, List.of(transitions)), ArbiterStore.UNFENCED).join());
    return failure.getCause();
  }

  /** Two wins, two waitlisted losers (the waitlist's bound). */
  void enrol() {
    write(1, t(Kind.ENROLLED_WIN, "a", "u1", 1, 1, DEADLINE, 0), t(Kind.ENROLLED_WIN, "b", "u2", 1, 2, DEADLINE, 0),
        t(Kind.WAITLISTED, "c", "u3", 1, 3, 0, 0), t(Kind.WAITLISTED, "d", "u4", 1, 4, 0, 0));
  }

  /** Thousands of orders (Redis reads them in pages): a new leader's order book gets every one, once. */
  @Test
  void aLargeOrderBookLoadsWhole() {
    int count = 5_000;
    events.createEvent("c-big", event("big", count, 1));
    orders.putTerms("big", new OrderTerms(WINDOW, 0));
    for (int page = 0; page < count / 1_000; page++) {
      List<OrderTransition> wins = new java.util.ArrayList<>();
      for (int i = page * 1_000; i < (page + 1) * 1_000; i++) {
        wins.add(t(Kind.ENROLLED_WIN, "r" + i, "u" + i, 1, i + 1, DEADLINE, 0));
      }
      orders.persistOrders(new OrderWrite("big", page + 1, (page + 1) * 1_000L, wins), ArbiterStore.UNFENCED).join();
    }
    List<OrderRecord> loaded = orders.loadOrders("big").orders();
    assertEquals(count, loaded.size());
    assertEquals(count, loaded.stream().map(OrderRecord::requestId).distinct().count());
  }

  PurchaseState state(String rid) {
    return orders.findOrder("e", rid).map(OrderRecord::state).orElseThrow();
  }

  @Test
  void termsAreSetOnce() {
    assertEquals(Optional.of(new OrderTerms(WINDOW, 2)), orders.findTerms("e"));
    orders.putTerms("e", new OrderTerms(WINDOW, 2)); // a retry
    assertThrows(StoreRejectedException.class, () -> orders.putTerms("e", new OrderTerms(WINDOW + 1, 2)));
    assertEquals(Optional.empty(), orders.findTerms("other"));
  }

  @Test
  void anEventCreatedWithItsTermsHasThemAndARefusedCreateWritesNeither() {
    var shoes = event("shoes", 5, 1);
    assertEquals(shoes, orders.createEventWithTerms("c-shoes", shoes, new OrderTerms(WINDOW, 7)));
    assertEquals(Optional.of(new OrderTerms(WINDOW, 7)), orders.findTerms("shoes"));
    // An identical retry is a no-op; the same request with other terms is refused and changes nothing.
    assertEquals(shoes, orders.createEventWithTerms("c-shoes", shoes, new OrderTerms(WINDOW, 7)));
    assertThrows(StoreRejectedException.class,
        () -> orders.createEventWithTerms("c-shoes", shoes, new OrderTerms(WINDOW, 8)));
    assertEquals(Optional.of(new OrderTerms(WINDOW, 7)), orders.findTerms("shoes"));
    // The same request with another spec: refused as a reused request id, the terms untouched.
    assertThrows(RequestIdReusedException.class,
        () -> orders.createEventWithTerms("c-shoes", event("shoes", 6, 1), new OrderTerms(WINDOW, 7)));
    assertThrows(RequestIdReusedException.class,
        () -> orders.createEventWithTerms("c-shoes", event("shoes", 6, 1), new OrderTerms(WINDOW, 8)), "both differ");
    assertEquals(Optional.of(new OrderTerms(WINDOW, 7)), orders.findTerms("shoes"));
    // Another request's event: refused as such, and no terms are attached to it.
    events.createEvent("c-hats", event("hats", 5, 1));
    assertThrows(EventExistsException.class,
        () -> orders.createEventWithTerms("c-other", event("hats", 5, 1), new OrderTerms(WINDOW, 7)));
    assertEquals(Optional.empty(), orders.findTerms("hats"));
    // Nor to one this request created without terms: its retry with terms is other content.
    assertThrows(StoreRejectedException.class,
        () -> orders.createEventWithTerms("c-hats", event("hats", 5, 1), new OrderTerms(WINDOW, 7)));
    assertEquals(Optional.empty(), orders.findTerms("hats"));
  }

  @Test
  void whoeverFindsTheEventFindsItsTerms() throws Exception {
    // One write: a reader polling beside the creates never sees an event without its terms (with
    // the event and the terms written one after the other it does, within a few events).
    for (int i = 0; i < 100; i++) {
      String eventId = "race-" + i;
      long giveUpNanos = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        while (events.findEvent(eventId).isEmpty()) {
          if (System.nanoTime() > giveUpNanos) return Optional.<OrderTerms>empty(); // the create failed: don't spin on
          Thread.onSpinWait();
        }
        return orders.findTerms(eventId);
      });
      orders.createEventWithTerms("c-" + eventId, event(eventId, 5, 1), new OrderTerms(WINDOW, 3));
      assertEquals(Optional.of(new OrderTerms(WINDOW, 3)), reader.get(10, java.util.concurrent.TimeUnit.SECONDS),
          eventId);
    }
  }

  @Test
  void aPaymentBeforeTheDeadlineWinsAndTheExpiryAfterItIsRefused() {
    enrol();
    write(2, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, DEADLINE - 1));
    assertInstanceOf(StoreRejectedException.class, refused(3, t(Kind.EXPIRED, "a", "u1", 1, 1, DEADLINE, DEADLINE)));
    assertEquals(PurchaseState.PAID, state("a"));
  }

  @Test
  void anExpiryAtTheDeadlineWinsAndAPaymentAfterItIsRefused() {
    enrol();
    assertInstanceOf(StoreRejectedException.class, refused(2, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, DEADLINE)),
        "a payment at the deadline is too late");
    assertInstanceOf(StoreRejectedException.class, refused(2, t(Kind.EXPIRED, "a", "u1", 1, 1, DEADLINE, DEADLINE - 1)),
        "an expiry before the deadline is too early");
    write(2, t(Kind.EXPIRED, "a", "u1", 1, 1, DEADLINE, DEADLINE), t(Kind.PROMOTED, "c", "u3", 1, 3, DEADLINE + WINDOW, DEADLINE));
    assertInstanceOf(StoreRejectedException.class, refused(3, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, DEADLINE - 1)));
    assertEquals(PurchaseState.EXPIRED, state("a"));
    assertEquals(new OrderRecord("c", "u3", 1, 3, PurchaseState.AWAITING_PAYMENT, DEADLINE + WINDOW),
        orders.findOrder("e", "c").orElseThrow());
  }

  @Test
  void aPromotionNeedsReleasedUnitsAndARejectedWriteWritesNothing() {
    enrol();
    Throwable noRoom = refused(2, t(Kind.PROMOTED, "c", "u3", 1, 3, DEADLINE, 0));
    assertInstanceOf(StoreRejectedException.class, noRoom);
    assertTrue(noRoom.getMessage().contains("0 free"), noRoom.getMessage());
    // The cancel is fine, the second promotion is not: neither is written.
    assertInstanceOf(StoreRejectedException.class, refused(2, t(Kind.CANCELLED, "a", "u1", 1, 1, 0, 10),
        t(Kind.PROMOTED, "c", "u3", 1, 3, DEADLINE, 10), t(Kind.PROMOTED, "d", "u4", 1, 4, DEADLINE, 10)));
    assertEquals(PurchaseState.AWAITING_PAYMENT, state("a"));
    assertEquals(PurchaseState.WAITLISTED, state("c"));
    assertEquals(List.of(), orders.readTransitions("e"));
  }

  @Test
  void aPromotionWithinTheLimitOnlyAndTheWaitlistWithinItsBound() {
    enrol();
    assertInstanceOf(StoreRejectedException.class, refused(2, t(Kind.WAITLISTED, "x", "u5", 1, 5, 0, 0)), "bound 2");
    events.createEvent("c2", event("e2", 2, 1));
    orders.putTerms("e2", new OrderTerms(WINDOW, 3));
    OrderTransition[] first = {t(Kind.ENROLLED_WIN, "a", "u1", 1, 1, DEADLINE, 0),
        t(Kind.ENROLLED_WIN, "b", "u2", 1, 2, DEADLINE, 0), t(Kind.WAITLISTED, "b2", "u2", 1, 3, 0, 0),
        t(Kind.WAITLISTED, "c", "u3", 1, 4, 0, 0)};
    orders.persistOrders(new OrderWrite("e2", 1, 4, List.of(first)), ArbiterStore.UNFENCED).join();
    var overLimit = assertThrows(CompletionException.class, () -> orders.persistOrders(new OrderWrite("e2", 2, 4,
        List.of(t(Kind.CANCELLED, "a", "u1", 1, 1, 0, 5), t(Kind.PROMOTED, "b2", "u2", 1, 3, DEADLINE, 5))),
        ArbiterStore.UNFENCED).join());
    assertTrue(overLimit.getCause().getMessage().contains("over the limit"), overLimit.getCause().getMessage());
    orders.persistOrders(new OrderWrite("e2", 2, 4,
        List.of(t(Kind.CANCELLED, "a", "u1", 1, 1, 0, 5), t(Kind.PROMOTED, "c", "u3", 1, 4, DEADLINE, 5))),
        ArbiterStore.UNFENCED).join();
    assertEquals(PurchaseState.AWAITING_PAYMENT, orders.findOrder("e2", "c").orElseThrow().state());
    assertEquals(PurchaseState.WAITLISTED, orders.findOrder("e2", "b2").orElseThrow().state());
  }

  /**
   * The stock a sale never sold is freed for its waitlist once, exactly what its wins left: with a
   * unit given back in the same write it fits a buyer of three; freed twice, short, or followed by
   * another win, the write is refused whole.
   */
  @Test
  void theUnsoldStockIsFreedOnceAndOnlyWhatTheWinsLeft() {
    events.createEvent("c3", event("e3", 3, 3));
    orders.putTerms("e3", new OrderTerms(WINDOW, 2));
    writeTo("e3", 1, 0, t(Kind.ENROLLED_WIN, "a", "u1", 1, 1, DEADLINE, 0), t(Kind.WAITLISTED, "b", "u2", 3, 2, 0, 0));
    assertTrue(refusedAt("e3", 2, 1).getMessage().contains("1 unsold units freed, but 1 of stock 3 were won"),
        "wins 1 + unsold 1 is not the stock");
    assertInstanceOf(StoreRejectedException.class, refusedAt("e3", 2, 3), "more than the wins left");
    assertEquals(0, orders.loadOrders("e3").unsoldUnitsFreed(), "nothing of a refused write is stored");

    writeTo("e3", 2, 2, t(Kind.CANCELLED, "a", "u1", 1, 1, DEADLINE, 10), t(Kind.PROMOTED, "b", "u2", 3, 2, DEADLINE, 10));
    OrderSnapshot snapshot = orders.loadOrders("e3");
    assertEquals(2, snapshot.unsoldUnitsFreed());
    assertEquals(0, snapshot.freeUnits());
    assertEquals(PurchaseState.AWAITING_PAYMENT, orders.findOrder("e3", "b").orElseThrow().state());
    assertTrue(refusedAt("e3", 3, 1).getMessage().contains("freed already"));
    assertTrue(refusedAt("e3", 3, 0, t(Kind.ENROLLED_WIN, "x", "u3", 1, 3, DEADLINE, 0)).getMessage()
        .contains("over stock 3"), "no win after the unsold stock was freed");
  }

  void writeTo(String eventId, long sequence, long unsoldFreed, OrderTransition... transitions) {
    orders.persistOrders(new OrderWrite(eventId, sequence, 4, List.of(transitions), unsoldFreed), ArbiterStore.UNFENCED)
        .join();
  }

  Throwable refusedAt(String eventId, long sequence, long unsoldFreed, OrderTransition... transitions) {
    var failure = assertThrows(CompletionException.class, () -> writeTo(eventId, sequence, unsoldFreed, transitions));
    assertInstanceOf(StoreRejectedException.class, failure.getCause());
    return failure.getCause();
  }

  @Test
  void retriesAreNoOpsAndGapsAreRejected() {
    enrol();
    enrol(); // the same write again
    assertInstanceOf(StoreRejectedException.class, refused(3, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, 0)), "write 2 missing");
    OrderSnapshot snapshot = orders.loadOrders("e");
    assertEquals(1, snapshot.lastSequence());
    assertEquals(4, snapshot.enrolledThroughRank());
    assertEquals(2, snapshot.waitlistJoined());
    assertEquals(2, snapshot.enrolledWinUnits());
    assertEquals(4, snapshot.orders().size());
  }

  /** A retry of the last write with other transitions is not "the same": it is refused, and nothing changes. */
  @Test
  void aRetryOfTheLastWriteWithOtherContentIsRefused() {
    enrol();
    write(2, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, DEADLINE - 1));
    write(2, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, DEADLINE - 1)); // the same write again: a no-op
    assertInstanceOf(StoreRejectedException.class, refused(2, t(Kind.CANCELLED, "a", "u1", 1, 1, DEADLINE, DEADLINE - 1)));
    assertEquals(PurchaseState.PAID, state("a"));
    assertEquals(2, orders.loadOrders("e").lastSequence());
  }

  @Test
  void aStaleEpochIsFenced() {
    events.fenceEvent("e", 7);
    var failure = assertThrows(CompletionException.class,
        () -> orders.persistOrders(new OrderWrite("e", 1, 0, List.of(t(Kind.WAITLISTED, "c", "u3", 1, 3, 0, 0))), 6).join());
    assertInstanceOf(StoreFencedException.class, failure.getCause());
    orders.persistOrders(new OrderWrite("e", 1, 0, List.of(t(Kind.WAITLISTED, "c", "u3", 1, 3, 0, 0))), 7).join();
    assertEquals(PurchaseState.WAITLISTED, state("c"));
  }

  @Test
  void theStoredWaitlistJoinsAreReadAlone() {
    assertEquals(0, orders.storedWaitlistJoins("e"));
    enrol();
    assertEquals(2, orders.storedWaitlistJoins("e"));
    write(2, t(Kind.LEFT_WAITLIST, "c", "u3", 1, 3, 0, 10));
    assertEquals(2, orders.storedWaitlistJoins("e"), "joins are counted, not who still waits");
    assertEquals(0, orders.storedWaitlistJoins("no-such-event"));
  }

  @Test
  void aWriteWithNoChangeAdvancesTheRankEnrolledThrough() {
    enrol();
    orders.persistOrders(new OrderWrite("e", 2, 10_004, List.of()), ArbiterStore.UNFENCED).join();
    assertEquals(10_004, orders.loadOrders("e").enrolledThroughRank());
    assertEquals(10_004, orders.storedEnrolledThroughRank("e"), "read alone, as a loser passed over is looked up");
    assertEquals(0, orders.storedEnrolledThroughRank("no-such-event"));
    assertEquals(2, orders.loadOrders("e").lastSequence());
    assertEquals(List.of(), orders.readTransitions("e"), "nothing for the outbox");
  }

  @Test
  void aClosedWaitlistPlaceIsFinalAndInTheOutbox() {
    enrol();
    assertInstanceOf(StoreRejectedException.class, refused(2, t(Kind.WAITLIST_CLOSED, "a", "u1", 1, 1, 0, 10)),
        "only a waitlisted purchase has a place to close");
    write(2, t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, 10), t(Kind.PAID, "b", "u2", 1, 2, DEADLINE, 10),
        t(Kind.WAITLIST_CLOSED, "c", "u3", 1, 3, 0, 10), t(Kind.WAITLIST_CLOSED, "d", "u4", 1, 4, 0, 10));
    assertEquals(PurchaseState.WAITLIST_CLOSED, state("c"));
    assertEquals(PurchaseState.WAITLIST_CLOSED, state("d"));
    assertEquals(List.of(), orders.loadOrders("e").orders().stream().filter(o -> o.state() == PurchaseState.WAITLISTED)
        .toList(), "nobody left on the waitlist");
    assertEquals(List.of(t(Kind.PAID, "a", "u1", 1, 1, DEADLINE, 10), t(Kind.PAID, "b", "u2", 1, 2, DEADLINE, 10),
        t(Kind.WAITLIST_CLOSED, "c", "u3", 1, 3, 0, 10), t(Kind.WAITLIST_CLOSED, "d", "u4", 1, 4, 0, 10)),
        orders.readTransitions("e"));
    assertInstanceOf(StoreRejectedException.class, refused(3, t(Kind.LEFT_WAITLIST, "c", "u3", 1, 3, 0, 20)),
        "a closed place is final: nothing leaves it");
  }

  @Test
  void everyTransitionIsInTheOutboxOnceInOrderAfterTheWinners() {
    enrol();
    write(2, t(Kind.CANCELLED, "a", "u1", 1, 1, 0, 10), t(Kind.PROMOTED, "c", "u3", 1, 3, 10 + WINDOW, 10));
    write(3, t(Kind.PAID, "b", "u2", 1, 2, DEADLINE, 20), t(Kind.LEFT_WAITLIST, "d", "u4", 1, 4, 0, 20));
    write(3, t(Kind.PAID, "b", "u2", 1, 2, DEADLINE, 20), t(Kind.LEFT_WAITLIST, "d", "u4", 1, 4, 0, 20)); // a retry
    write(4, t(Kind.EXPIRED, "c", "u3", 1, 3, 10 + WINDOW, 10 + WINDOW));
    assertEquals(List.of(
        t(Kind.CANCELLED, "a", "u1", 1, 1, 0, 10), t(Kind.PROMOTED, "c", "u3", 1, 3, 10 + WINDOW, 10),
        t(Kind.PAID, "b", "u2", 1, 2, DEADLINE, 20), t(Kind.LEFT_WAITLIST, "d", "u4", 1, 4, 0, 20),
        t(Kind.EXPIRED, "c", "u3", 1, 3, 10 + WINDOW, 10 + WINDOW)), orders.readTransitions("e"));
    assertEquals(List.of(), events.readOutbox("e"), "no winner was persisted by a batch here");
    assertEquals(1, orders.loadOrders("e").freeUnits());
  }
}
