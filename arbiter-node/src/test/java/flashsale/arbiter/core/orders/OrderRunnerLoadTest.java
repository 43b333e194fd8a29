package flashsale.arbiter.core.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.testing.ManualLoop;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import flashsale.store.StoreRejectedException;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.memory.InMemoryOrderStore;
import flashsale.store.testing.ForwardingOrderStore;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A book that cannot be read, or whose write the store refuses, is still the event's book: the
 * event stays loading (its sale's end waits for it) and it is read again, never taken for an event
 * with nothing left to settle.
 */
class OrderRunnerLoadTest {
  static final long START = 1_767_225_600_000_000L;
  static final long WINDOW = 60_000_000;

  final InMemoryArbiterStore events = new InMemoryArbiterStore();
  final InMemoryOrderStore stored = new InMemoryOrderStore(events);
  final AtomicInteger readsToFail = new AtomicInteger();
  final AtomicInteger writesToRefuse = new AtomicInteger();
  /** While set, writes wait here until the test lets them go on to the store. */
  final java.util.concurrent.atomic.AtomicReference<List<Runnable>> heldWrites = new java.util.concurrent.atomic.AtomicReference<>();
  /** Every write sent to the store, in order. */
  final List<OrderWrite> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
  final OrderStore orders = new FlakyOrders();
  final InstantSource clock = () -> Instant.EPOCH.plus(START + 1_000, java.time.temporal.ChronoUnit.MICROS);
  final ManualLoop loop = new ManualLoop();
  final OrderRunner runner = new OrderRunner(orders, events, clock, loop, Runnable::run);
  final EventSpec spec = new EventSpec("e", "shoes", 1, START - 60_000_000, START - 1, 1, List.of("r"),
      SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());

  OrderRunnerLoadTest() {
    events.createEvent("c", spec);
    stored.putTerms("e", new OrderTerms(WINDOW, 2));
    stored.persistOrders(new OrderWrite("e", 1, 2, List.of(
        new OrderTransition(Kind.ENROLLED_WIN, "a", "u1", 1, 1, START + WINDOW, START - 10),
        new OrderTransition(Kind.WAITLISTED, "b", "u2", 1, 2, 0, START - 10))), ArbiterStore.UNFENCED).join();
    runner.lead(ArbiterStore.UNFENCED);
  }

  @Test
  void aSaleThatEndsWhileItsBookCannotBeReadWaitsForTheBook() {
    readsToFail.set(1);
    AtomicBoolean settled = new AtomicBoolean();
    loop.execute(() -> runner.eventAdded(spec));
    loop.runReady();
    assertFalse(runner.holds("e"), "the read failed");
    loop.execute(() -> runner.saleEnded("e", () -> settled.set(true)));
    loop.runReady();
    assertFalse(settled.get(), "a's payment window is open: the event must stay live");

    loop.fireTimers();
    loop.runReady(); // the retry
    assertTrue(runner.holds("e"));
    assertFalse(settled.get());
    CompletableFuture<OrderAnswer> paid = runner.apply("e", "a", (book, effects) -> book.confirm("a", START + 2_000, effects));
    loop.runReady();
    assertTrue(paid.join().done());
    assertTrue(settled.get(), "settled once a paid and b's wait closed");
    assertEquals(0, runner.eventsWithCallsWaiting(), "nothing is kept for an event whose calls were all answered");
  }

  @Test
  void aBookWhoseWriteTheStoreRefusedIsReadAgain() {
    AtomicBoolean settled = new AtomicBoolean();
    loop.execute(() -> runner.eventAdded(spec));
    loop.runReady();
    writesToRefuse.set(1);
    CompletableFuture<OrderAnswer> refused = runner.apply("e", "a", (book, effects) -> book.confirm("a", START + 2_000, effects));
    loop.runReady();
    assertTrue(refused.isCompletedExceptionally(), "the caller is told the write did not land");
    assertFalse(runner.holds("e"));
    loop.execute(() -> runner.saleEnded("e", () -> settled.set(true)));
    loop.runReady();
    assertFalse(settled.get(), "the stored win still awaits payment");

    loop.fireTimers();
    loop.runReady(); // read again
    assertTrue(runner.holds("e"), "the book runs again from what the store holds");
    CompletableFuture<OrderAnswer> paid = runner.apply("e", "a", (book, effects) -> book.confirm("a", START + 3_000, effects));
    loop.runReady();
    assertTrue(paid.join().done());
    assertTrue(settled.get());
  }

  /**
   * Stock 3, at most 2 a user: a won 2 and cancelled them; b, who asked for 2 and lost for lack of
   * stock, waits. The sale never sold out, so nobody was promoted before the leader died. The new
   * leader hears the sale ended while the book loads: b gets the 2 units a gave back. (The book used
   * to settle as it loaded, nobody awaiting payment, before it heard the sale's end: b waited forever.)
   */
  @Test
  void aSaleThatEndsWhileItsBookLoadsWithNobodyAwaitingPaymentStillPromotesTheWaitlist() {
    EventSpec unsold = new EventSpec("m", "boots", 3, START - 60_000_000, START - 1, 2, List.of("r"),
        SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
    events.createEvent("c2", unsold);
    stored.putTerms("m", new OrderTerms(WINDOW, 2));
    stored.persistOrders(new OrderWrite("m", 1, 2, List.of(
        new OrderTransition(Kind.ENROLLED_WIN, "a", "u1", 2, 1, START + WINDOW, START - 10),
        new OrderTransition(Kind.WAITLISTED, "b", "u2", 2, 2, 0, START - 10))), ArbiterStore.UNFENCED).join();
    stored.persistOrders(new OrderWrite("m", 2, 2, List.of(
        new OrderTransition(Kind.CANCELLED, "a", "u1", 2, 1, START + WINDOW, START - 5))), ArbiterStore.UNFENCED).join();
    AtomicBoolean settled = new AtomicBoolean();

    loop.execute(() -> runner.eventAdded(unsold));
    loop.execute(() -> runner.saleEnded("m", () -> settled.set(true))); // before the read is in
    loop.runReady();
    assertEquals(PurchaseState.AWAITING_PAYMENT, stored.findOrder("m", "b").orElseThrow().state(),
        "b is promoted to the 2 units a gave back");
    assertFalse(settled.get(), "b's payment window is open: the event must stay live");

    CompletableFuture<OrderAnswer> paid = runner.apply("m", "b", (book, effects) -> book.confirm("b", START + 2_000, effects));
    loop.runReady();
    assertTrue(paid.join().done(), "b can pay for them");
    assertEquals(PurchaseState.PAID, stored.findOrder("m", "b").orElseThrow().state());
    assertTrue(settled.get(), "settled once b paid");
  }

  /**
   * One event's book breaks its own checks as it loads (the store holds two wins of the one unit
   * the event is said to have): that event waits and is read again; the others' books run on.
   * (Before, the throw left the event neither loading nor loaded: its sale's end settled it at
   * once, and no retry came.)
   */
  @Test
  void aBookThatBreaksItsChecksAsItLoadsWaitsAloneAndIsReadAgain() {
    EventSpec twoUnits = new EventSpec("x", "hats", 2, START - 60_000_000, START - 1, 1, List.of("r"),
        SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
    events.createEvent("c3", twoUnits);
    stored.putTerms("x", new OrderTerms(WINDOW, 2));
    stored.persistOrders(new OrderWrite("x", 1, 2, List.of(
        new OrderTransition(Kind.ENROLLED_WIN, "x1", "u1", 1, 1, START + WINDOW, START - 10),
        new OrderTransition(Kind.ENROLLED_WIN, "x2", "u2", 1, 2, START + WINDOW, START - 10))), ArbiterStore.UNFENCED).join();
    EventSpec saidToHaveOne = new EventSpec("x", "hats", 1, START - 60_000_000, START - 1, 1, List.of("r"),
        SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
    AtomicBoolean settled = new AtomicBoolean();

    loop.execute(() -> runner.eventAdded(saidToHaveOne));
    loop.execute(() -> runner.eventAdded(spec));
    loop.execute(() -> runner.saleEnded("x", () -> settled.set(true)));
    loop.runReady();
    assertFalse(runner.holds("x"), "its book broke its checks");
    assertFalse(settled.get(), "an event whose book broke is not taken for settled");
    assertTrue(runner.apply("x", "x1", (book, effects) -> book.confirm("x1", START + 2_000, effects))
        .isCompletedExceptionally(), "a payment for it is told to retry");
    assertTrue(runner.holds("e"), "the other event's book runs");
    CompletableFuture<OrderAnswer> paid = runner.apply("e", "a", (book, effects) -> book.confirm("a", START + 2_000, effects));
    loop.runReady();
    assertTrue(paid.join().done());

    loop.fireTimers();
    loop.runReady();
    assertFalse(runner.holds("x"), "read again, and broken again: still held back");
    assertFalse(settled.get());
  }

  /**
   * A batch the book cannot take without breaking its checks (a second win of the event's one
   * unit) drops the book, alone; it is read again from what the store holds.
   */
  @Test
  void aBookThatBreaksOnABatchIsDroppedAloneAndReadAgainFromTheStore() {
    loop.execute(() -> runner.eventAdded(spec));
    loop.runReady();
    assertTrue(runner.holds("e"));
    var impossible = OrderBookTest.won(3, "z", "u9", 1, START); // a second win of the event's one unit
    loop.execute(() -> runner.decided("e", List.of(impossible)));
    loop.runReady();
    assertFalse(runner.holds("e"), "dropped, not left running in a state it refuses");
    runner.tick(); // nothing left to throw on the next tick

    loop.fireTimers();
    loop.runReady();
    assertTrue(runner.holds("e"), "read again from the store, which never held the impossible win");
    CompletableFuture<OrderAnswer> paid = runner.apply("e", "a", (book, effects) -> book.confirm("a", START + 2_000, effects));
    loop.runReady();
    assertTrue(paid.join().done());
  }

  /**
   * The book breaks while one of its writes is still at the store: that write's answer, when it
   * comes, must not carry the dropped book on (it would write the win that broke it, or answer the
   * calls of the book read in its place).
   */
  @Test
  void aBookDroppedWithAWriteInFlightWritesNothingMoreWhenTheWriteLands() {
    loop.execute(() -> runner.eventAdded(spec));
    loop.runReady();
    List<Runnable> held = new java.util.ArrayList<>();
    heldWrites.set(held);
    CompletableFuture<OrderAnswer> paid = runner.apply("e", "a", (book, effects) -> book.confirm("a", START + 2_000, effects));
    loop.runReady();
    assertEquals(1, held.size(), "a's payment is at the store");
    var impossible = OrderBookTest.won(3, "z", "u9", 1, START); // a second win of the event's one unit
    loop.execute(() -> runner.decided("e", List.of(impossible)));
    loop.runReady();
    assertFalse(runner.holds("e"));
    assertTrue(paid.isCompletedExceptionally(), "its caller is told to retry");

    heldWrites.set(null);
    held.forEach(Runnable::run); // the payment lands
    loop.runReady();
    loop.fireTimers();
    loop.runReady();
    assertTrue(runner.holds("e"), "read again");
    assertTrue(sent.stream().flatMap(w -> w.transitions().stream()).noneMatch(t -> t.requestId().equals("z")),
        "the win that broke the book was never sent to the store: " + sent);
    assertEquals(PurchaseState.PAID, stored.findOrder("e", "a").orElseThrow().state(), "a's payment stands");
  }

  /** The in-memory store, failing the next reads or refusing the next writes when told to. */
  final class FlakyOrders extends ForwardingOrderStore {
    FlakyOrders() {
      super(stored);
    }

    @Override
    public Optional<OrderTerms> findTerms(String eventId) {
      if (readsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) throw new IllegalStateException("store unreachable");
      return super.findTerms(eventId);
    }

    @Override
    public CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch) {
      sent.add(write);
      List<Runnable> held = heldWrites.get();
      if (held != null) {
        CompletableFuture<Void> later = new CompletableFuture<>();
        held.add(() -> super.persistOrders(write, fencingEpoch).whenComplete((ok, e) -> {
          if (e == null) later.complete(null);
          else later.completeExceptionally(e);
        }));
        return later;
      }
      if (writesToRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return CompletableFuture.failedFuture(new StoreRejectedException("the store disagrees"));
      }
      return super.persistOrders(write, fencingEpoch);
    }
  }
}
