package flashsale.arbiter.grpc;

import flashsale.arbiter.events.EventCatalog;
import flashsale.arbiter.events.EventRegistry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import flashsale.sale.EventSpec;
import flashsale.sale.Micros;
import flashsale.sale.SaleMode;
import flashsale.store.ArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.memory.InMemoryOrderStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A leader takes over an event whose sale finished (past its end and the grace) while payment
 * windows were still open: the event is not sequenced again, but its order book must still run, so
 * the unpaid win expires, its unit goes to the waitlisted loser, and the event leaves the live index
 * only once that buyer's window has run out too. (It used to leave the index at once, with the win
 * awaiting payment forever and the loser never promoted.)
 */
class FinishedEventOrdersTest {
  static final long WINDOW_MICROS = 300_000;

  final InMemoryArbiterStore store = new InMemoryArbiterStore();
  final InMemoryOrderStore orders = new InMemoryOrderStore(store);
  final Clock clock = Clock.systemUTC();
  SequencerLoop loop;

  @AfterEach
  void stop() {
    if (loop != null) loop.close();
  }

  @Test
  void aFinishedEventStillLiveRunsItsPaymentWindowsOutBeforeItLeavesTheIndex() throws Exception {
    // What the last leader stored before it died: a win awaiting payment, a loser for stock waiting.
    EventSpec spec = finishedEventWithAWinAndAWaitlistedLoser(100_000);
    takeOver(spec);

    awaitUntil(() -> state("b") == PurchaseState.AWAITING_PAYMENT, "the loser promoted once the win expired");
    assertEquals(PurchaseState.EXPIRED, state("a"));
    assertTrue(store.listLiveEvents().contains(spec), "still live while a payment window is open");
    awaitUntil(() -> store.listLiveEvents().isEmpty(), "the event left the live index once settled");
    assertEquals(PurchaseState.EXPIRED, state("b"));
    assertEquals(List.of(Kind.EXPIRED, Kind.PROMOTED, Kind.EXPIRED),
        orders.readTransitions("shoes").stream().map(OrderTransition::kind).toList());
  }

  @Test
  void thePaymentThatSettlesTheEventIsAnsweredAndTheWaitlistIsToldItClosed() throws Exception {
    var runner = takeOver(finishedEventWithAWinAndAWaitlistedLoser(5_000_000));
    var api = new OrderGrpcService(store, orders, loop, runner);
    awaitUntil(() -> loop.query(q -> runner.holds("shoes")).join(), "the book loaded");

    // a pays: nothing awaits payment any more, so the book settles and lets go as the write lands.
    var paid = new Answer<flashsale.v1.ConfirmPaymentResponse>();
    api.confirmPayment(flashsale.v1.ConfirmPaymentRequest.newBuilder().setEventId("shoes").setRequestId("a").build(), paid);
    assertEquals(flashsale.v1.OrderState.ORDER_STATE_PAID, paid.get().getOrder().getState(),
        "the payment is stored, and the buyer is told so");
    assertEquals(PurchaseState.WAITLIST_CLOSED, state("b"), "b's wait is over: no unit can come back");
    awaitUntil(() -> store.listLiveEvents().isEmpty(), "the event left the live index once settled");

    var cancelled = new Answer<flashsale.v1.CancelPurchaseResponse>();
    api.cancelPurchase(flashsale.v1.CancelPurchaseRequest.newBuilder().setEventId("shoes").setRequestId("b").build(), cancelled);
    var refused = io.grpc.Status.fromThrowable(cancelled.error());
    assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, refused.getCode(), refused.toString());
    assertTrue(refused.getDescription().contains("WAITLIST_CLOSED"), refused.getDescription());
    assertEquals(List.of(Kind.PAID, Kind.WAITLIST_CLOSED),
        orders.readTransitions("shoes").stream().map(OrderTransition::kind).toList());

    // A region's GetDecision for b, now that no book runs: two fields read, never every order.
    java.util.concurrent.atomic.AtomicInteger wholeReads = new java.util.concurrent.atomic.AtomicInteger();
    var counting = new flashsale.store.testing.ForwardingOrderStore(orders) {
      @Override
      public flashsale.orders.OrderSnapshot loadOrders(String eventId) {
        wholeReads.incrementAndGet();
        return super.loadOrders(eventId);
      }
    };
    var lost = new flashsale.sale.Decision(new flashsale.sale.Ticket("shoes", "b", "u2", 1, "east", 5),
        flashsale.sale.Outcome.LOST, flashsale.sale.LossReason.SOLD_OUT, 2, 5, false);
    var described = new DecisionOrders(counting, loop, runner).describe(lost, flashsale.v1.GetDecisionResponse.getDefaultInstance())
        .get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(flashsale.v1.OrderState.ORDER_STATE_WAITLIST_CLOSED, described.getOrder().getState());
    assertEquals(0, wholeReads.get(), "no HGETALL of the event's orders for one purchase");
  }

  /** An event whose sale ended 20 s ago, with a stored win due {@code deadlineInMicros} from now and a waitlisted loser. */
  private EventSpec finishedEventWithAWinAndAWaitlistedLoser(long deadlineInMicros) {
    long now = Micros.of(clock.instant());
    EventSpec spec = new EventSpec("shoes", "shoes", 1, now - 60_000_000, now - 20_000_000, 1, List.of("east"),
        SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
    store.createEvent("create", spec);
    orders.putTerms("shoes", new OrderTerms(WINDOW_MICROS, 2));
    orders.persistOrders(new OrderWrite("shoes", 1, 2, List.of(
        new OrderTransition(Kind.ENROLLED_WIN, "a", "u1", 1, 1, now + deadlineInMicros, now - 30_000_000),
        new OrderTransition(Kind.WAITLISTED, "b", "u2", 1, 2, 0, now - 30_000_000))), ArbiterStore.UNFENCED).join();
    return spec;
  }

  /** A new leader registers every live event, as LeaderRole's recovery does. */
  private OrderRunner takeOver(EventSpec spec) {
    loop = new SequencerLoop(new Sequencer(SequencerConfig.defaults()), store, clock, new RegionSessions(),
        new ArbiterMetrics(new SimpleMeterRegistry()));
    OrderRunner runner = loop.enableOrders(orders, store, clock);
    var catalog = new EventCatalog(store, flashsale.arbiter.events.EventPools.NONE, loop, new EventRegistry(), announced -> {});
    loop.onFinished(catalog::finished);
    catalog.register(spec).join();
    return runner;
  }

  /** One unary answer, as a gRPC observer gets it. */
  private static final class Answer<T> implements io.grpc.stub.StreamObserver<T> {
    private final java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();

    @Override
    public void onNext(T value) {
      result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {}

    T get() throws Exception {
      return result.get(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    Throwable error() throws Exception {
      try {
        T value = result.get(5, java.util.concurrent.TimeUnit.SECONDS);
        throw new AssertionError("answered " + value + ", not refused");
      } catch (java.util.concurrent.ExecutionException e) {
        return e.getCause();
      }
    }
  }

  private PurchaseState state(String requestId) {
    return orders.findOrder("shoes", requestId).orElseThrow().state();
  }

  private static void awaitUntil(BooleanSupplier done, String what) throws InterruptedException {
    long end = System.nanoTime() + 5_000_000_000L;
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "never: " + what);
      Thread.sleep(5); // polling the store, not timing anything
    }
  }
}
