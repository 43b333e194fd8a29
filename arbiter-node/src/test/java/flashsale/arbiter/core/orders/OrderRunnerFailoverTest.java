package flashsale.arbiter.core.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.NotLeaderException;
import flashsale.loop.LoopScheduler;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.memory.InMemoryOrderStore;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A leader change in the middle of the payments: the new leader's books come from the store
 * (orders, waitlist, free units, what was enrolled) plus the decisions stored after them, the old
 * leader's writes are fenced, and deadlines, promotions and answers go on with nobody promoted
 * twice or lost.
 */
class OrderRunnerFailoverTest {
  static final long START = 1_767_225_600_000_000L;
  static final long WINDOW = 1_000_000;

  final InMemoryArbiterStore events = new InMemoryArbiterStore();
  final InMemoryOrderStore orders = new InMemoryOrderStore(events);
  final AtomicLong nowMicros = new AtomicLong(START + 10);
  final InstantSource clock = () -> Instant.EPOCH.plus(nowMicros.get(), java.time.temporal.ChronoUnit.MICROS);

  /** The loop: tasks queue up and run when the test pumps them (store reads finish on other threads). */
  static final class PumpedLoop implements LoopScheduler {
    final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
    }

    /** Runs scheduled tasks (a failed write's retry) at once, in turn, instead of dropping them. */
    boolean runsRetries;

    @Override
    public Timer schedule(Runnable task, long delayMs) {
      if (runsRetries) tasks.add(task);
      return () -> {}; // else retries are not needed: nothing fails but fencing
    }

    @Override
    public Timer every(Runnable task, long periodMs) {
      return () -> {};
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    /** Runs tasks until {@code done} holds. */
    void pumpUntil(java.util.function.BooleanSupplier done) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!done.getAsBoolean()) {
        Runnable task = tasks.poll(10, TimeUnit.MILLISECONDS);
        if (task != null) task.run();
        assertTrue(System.nanoTime() < end, "loop did not get there");
      }
    }
  }

  static Decision decision(long rank, String rid, String user, LossReason why) {
    Ticket ticket = new Ticket("e", rid, user, 1, "r", START + rank);
    return new Decision(ticket, why == LossReason.NONE ? Outcome.WON : Outcome.LOST, why, rank, START + 10, false);
  }

  <T> T answer(PumpedLoop loop, CompletableFuture<T> call) throws Exception {
    loop.pumpUntil(call::isDone);
    return call.get();
  }

  @Test
  void aNewLeaderGoesOnFromTheStoreAndTheOldOneIsFenced() throws Exception {
    EventSpec spec = new EventSpec("e", "shoes", 2, START, START + 60_000_000, 1, List.of("r"), SaleMode.GLOBAL_ORDER, 7,
        Map.of(), Map.of());
    events.createEvent("c", spec);
    orders.putTerms("e", new OrderTerms(WINDOW, 3));
    events.fenceEvent("e", 1);

    PumpedLoop loop1 = new PumpedLoop();
    OrderRunner first = new OrderRunner(orders, events, clock, loop1, CompletableFuture::runAsync);
    first.lead(1);
    loop1.execute(() -> first.eventAdded(spec));
    loop1.pumpUntil(() -> first.holds("e"));
    // A batch stored and fed while the first leader runs: a, b win; c, d lose for stock, x for the limit.
    List<Decision> batch = List.of(decision(1, "a", "u1", LossReason.NONE), decision(2, "b", "u2", LossReason.NONE),
        decision(3, "c", "u3", LossReason.SOLD_OUT), decision(4, "d", "u4", LossReason.SOLD_OUT),
        decision(5, "x", "u5", LossReason.LIMIT_EXCEEDED));
    events.persistBatch(new DecisionBatch("e", 1, batch), 1).join();
    loop1.execute(() -> first.decided("e", batch));
    nowMicros.addAndGet(100);
    var cancelled = new CompletableFuture<OrderAnswer>();
    loop1.execute(() -> first.apply("e", "a", (book, fx) -> book.cancel("a", first.nowMicros(), fx))
        .whenComplete((a, e) -> cancelled.complete(a)));
    assertEquals(PurchaseState.CANCELLED, answer(loop1, cancelled).state());
    loop1.pumpUntil(() -> orders.findOrder("e", "c").map(o -> o.state() == PurchaseState.AWAITING_PAYMENT).orElse(false));

    // Another batch is stored but the first leader dies before enrolling it: the next leader must.
    List<Decision> late = List.of(decision(6, "y", "u6", LossReason.SOLD_OUT));
    events.persistBatch(new DecisionBatch("e", 2, late), 1).join();

    events.fenceEvent("e", 2);
    PumpedLoop loop2 = new PumpedLoop();
    OrderRunner second = new OrderRunner(orders, events, clock, loop2, CompletableFuture::runAsync);
    second.lead(2);
    loop2.execute(() -> second.eventAdded(spec));
    loop2.pumpUntil(() -> second.holds("e"));
    assertEquals(PurchaseState.WAITLISTED, second.find("e", "y").orElseThrow().state(), "enrolled from the store");
    assertEquals(PurchaseState.AWAITING_PAYMENT, second.find("e", "c").orElseThrow().state());

    // The deposed leader's write is fenced: its caller hears NOT_LEADER, the store keeps b awaiting.
    var deposed = new CompletableFuture<OrderAnswer>();
    loop1.execute(() -> first.apply("e", "b", (book, fx) -> book.confirm("b", first.nowMicros(), fx))
        .whenComplete((a, e) -> {
          if (e != null) deposed.completeExceptionally(e); else deposed.complete(a);
        }));
    loop1.pumpUntil(deposed::isDone);
    ExecutionException fenced = assertThrows(ExecutionException.class, deposed::get);
    assertInstanceOf(NotLeaderException.class, fenced.getCause());
    assertEquals(PurchaseState.AWAITING_PAYMENT, orders.findOrder("e", "b").orElseThrow().state());

    // The new leader: b pays; c's window runs out and its unit goes to d, then d's to y.
    var paid = new CompletableFuture<OrderAnswer>();
    loop2.execute(() -> second.apply("e", "b", (book, fx) -> book.confirm("b", second.nowMicros(), fx))
        .whenComplete((a, e) -> paid.complete(a)));
    assertTrue(answer(loop2, paid).done());
    nowMicros.addAndGet(WINDOW);
    loop2.execute(second::tick);
    loop2.pumpUntil(() -> orders.findOrder("e", "d").map(o -> o.state() == PurchaseState.AWAITING_PAYMENT).orElse(false));
    nowMicros.addAndGet(WINDOW);
    loop2.execute(second::tick);
    loop2.pumpUntil(() -> orders.findOrder("e", "y").map(o -> o.state() == PurchaseState.AWAITING_PAYMENT).orElse(false));

    List<OrderTransition> outbox = orders.readTransitions("e");
    assertEquals(List.of("CANCELLED:a", "PROMOTED:c", "PAID:b", "EXPIRED:c", "PROMOTED:d", "EXPIRED:d", "PROMOTED:y"),
        outbox.stream().map(t -> t.kind() + ":" + t.requestId()).toList());
    Set<String> promoted = new HashSet<>();
    for (OrderTransition t : outbox) if (t.kind() == Kind.PROMOTED) assertTrue(promoted.add(t.requestId()));
    assertEquals(1, orders.loadOrders("e").orders().stream().filter(o -> o.state() == PurchaseState.PAID).count());
    assertTrue(orders.findOrder("e", "x").isEmpty(), "a loss for the limit never waits");
  }

  /** A payment window runs through a store outage: each failed order write is counted (the persist-failure page) and retried. */
  @Test
  void aFailedOrderWriteIsCountedAndRetriedUntilStored() throws Exception {
    EventSpec spec = new EventSpec("e", "shoes", 2, START, START + 60_000_000, 1, List.of("r"), SaleMode.GLOBAL_ORDER, 7,
        Map.of(), Map.of());
    events.createEvent("c", spec);
    orders.putTerms("e", new OrderTerms(WINDOW, 3));
    events.fenceEvent("e", 1);
    java.util.concurrent.atomic.AtomicInteger failuresLeft = new java.util.concurrent.atomic.AtomicInteger(2);
    flashsale.store.OrderStore flaky = (flashsale.store.OrderStore) java.lang.reflect.Proxy.newProxyInstance(
        flashsale.store.OrderStore.class.getClassLoader(), new Class<?>[] {flashsale.store.OrderStore.class}, (p, m, a) -> {
          if (m.getName().equals("persistOrders") && failuresLeft.getAndDecrement() > 0) {
            return CompletableFuture.failedFuture(new IllegalStateException("Redis command timed out"));
          }
          try {
            return m.invoke(orders, a);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    PumpedLoop loop = new PumpedLoop();
    loop.runsRetries = true;
    OrderRunner runner = new OrderRunner(flaky, events, clock, loop, CompletableFuture::runAsync);
    java.util.concurrent.atomic.AtomicInteger counted = new java.util.concurrent.atomic.AtomicInteger();
    runner.onWriteFailed(counted::incrementAndGet);
    runner.lead(1);
    loop.execute(() -> runner.eventAdded(spec));
    loop.pumpUntil(() -> runner.holds("e"));
    List<Decision> batch = List.of(decision(1, "a", "u1", LossReason.NONE));
    events.persistBatch(new DecisionBatch("e", 1, batch), 1).join();
    loop.execute(() -> runner.decided("e", batch));
    loop.pumpUntil(() -> orders.findOrder("e", "a").map(o -> o.state() == PurchaseState.AWAITING_PAYMENT).orElse(false));
    assertEquals(2, counted.get(), "each failed write counted once");
  }

  @Test
  void anEventWithoutAWindowWhoseSaleEndsWhileItsBookIsBeingReadIsSettledAtOnce() throws Exception {
    EventSpec spec = new EventSpec("plain", "shoes", 2, START, START + 60_000_000, 1, List.of("r"), SaleMode.GLOBAL_ORDER,
        7, Map.of(), Map.of());
    events.createEvent("c", spec); // no terms: wins are final, there is no book to run
    PumpedLoop loop = new PumpedLoop();
    OrderRunner runner = new OrderRunner(orders, events, clock, loop, CompletableFuture::runAsync);
    runner.lead(1);
    boolean[] settled = {false};
    loop.execute(() -> {
      runner.eventAdded(spec); // the read is under way when the sale ends
      runner.saleEnded("plain", () -> settled[0] = true);
    });
    loop.pumpUntil(() -> settled[0]); // else the event stays in the live index for every later leader
    assertFalse(runner.holds("plain"));
  }
}
