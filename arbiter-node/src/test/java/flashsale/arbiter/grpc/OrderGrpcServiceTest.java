package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.orders.OrderTerms;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Micros;
import flashsale.sale.SaleMode;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.memory.InMemoryOrderStore;
import flashsale.store.testing.ForwardingArbiterStore;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.GetOrderRequest;
import flashsale.v1.OrderServiceGrpc;
import flashsale.wire.Errors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.util.TransmitStatusRuntimeExceptionInterceptor;
import io.lettuce.core.RedisConnectionException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The order API as a client sees it (served the way ArbiterNode serves it) when the store fails or
 * an id is malformed: a status with its reason, always, and never a call left open.
 */
class OrderGrpcServiceTest {
  private final Clock clock = Clock.systemUTC();
  private final InMemoryArbiterStore memory = new InMemoryArbiterStore();
  private final InMemoryOrderStore orders = new InMemoryOrderStore(memory);
  /** Reads of events and decisions, and which of them (counted from 1) fail as a Redis outage would. */
  private final AtomicInteger eventReads = new AtomicInteger();
  private final AtomicInteger decisionReads = new AtomicInteger();
  private volatile int failEventReadsFrom = Integer.MAX_VALUE;
  private volatile int failDecisionReadsFrom = Integer.MAX_VALUE;
  private final ForwardingArbiterStore store = new ForwardingArbiterStore(memory) {
    @Override
    public Optional<EventSpec> findEvent(String eventId) {
      java.util.concurrent.CountDownLatch stall = stalledEvents;
      if (stall != null) {
        try {
          stall.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return read(eventReads, failEventReadsFrom, () -> super.findEvent(eventId));
    }

    @Override
    public Optional<Decision> findDecision(String eventId, String requestId) {
      java.util.concurrent.CountDownLatch stall = stalled;
      if (stall != null) {
        decisionReadsStalled.incrementAndGet();
        try {
          stall.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return read(decisionReads, failDecisionReadsFrom, () -> super.findDecision(eventId, requestId));
    }
  };
  /** While set, event reads wait for it, as through a Redis stall. */
  private volatile java.util.concurrent.CountDownLatch stalledEvents;
  /** While set, decision reads wait for it, as through a Redis stall. */
  private volatile java.util.concurrent.CountDownLatch stalled;
  private final AtomicInteger decisionReadsStalled = new AtomicInteger();
  private SequencerLoop loop;
  private Server server;
  private ManagedChannel channel;
  private OrderServiceGrpc.OrderServiceBlockingStub api;

  private static <T> T read(AtomicInteger reads, int failFrom, Supplier<T> read) {
    if (reads.incrementAndGet() >= failFrom) throw new RedisConnectionException("connection refused");
    return read.get();
  }

  @BeforeEach
  void start() throws Exception {
    long now = Micros.of(clock.instant());
    memory.createEvent("create", new EventSpec("shoes", "shoes", 1, now - 60_000_000, now + 60_000_000, 1, List.of("east"),
        SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of()));
    orders.putTerms("shoes", new OrderTerms(300_000, 2));
    loop = new SequencerLoop(new Sequencer(SequencerConfig.defaults()), store, clock, new RegionSessions(),
        new ArbiterMetrics(new SimpleMeterRegistry()));
    var service = new OrderGrpcService(store, orders, loop, loop.enableOrders(orders, store, clock));
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, TransmitStatusRuntimeExceptionInterceptor.instance()))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    api = OrderServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    loop.close();
  }

  /** The call's error, got before a deadline far longer than any answer takes: a hung call fails DEADLINE_EXCEEDED. */
  private StatusRuntimeException refusal(java.util.function.Consumer<OrderServiceGrpc.OrderServiceBlockingStub> call) {
    return assertThrows(StatusRuntimeException.class, () -> call.accept(api.withDeadlineAfter(5, TimeUnit.SECONDS)));
  }

  private static void assertStatus(Status.Code code, String reason, StatusRuntimeException e) {
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(reason, Errors.reasonOf(e).orElse("<none>"), e.getStatus().toString());
  }

  private static GetOrderRequest getOrder(String eventId) {
    return GetOrderRequest.newBuilder().setEventId(eventId).setRequestId("r-1").build();
  }

  /** A GetOrder of r-1 in shoes, sent without waiting: its status code once answered. */
  private static java.util.concurrent.CompletableFuture<Status.Code> getOrderCode(OrderServiceGrpc.OrderServiceStub async) {
    var answer = new java.util.concurrent.CompletableFuture<Status.Code>();
    async.getOrder(getOrder("shoes"), new io.grpc.stub.StreamObserver<>() {
      @Override public void onNext(flashsale.v1.GetOrderResponse order) {}
      @Override public void onError(Throwable t) { answer.complete(Status.fromThrowable(t).getCode()); }
      @Override public void onCompleted() { answer.complete(Status.Code.OK); }
    });
    return answer;
  }

  /**
   * Through a Redis stall each GetOrder waits on its decision read: off the gRPC thread, and on no
   * platform thread of its own (the common pool on 2 cores would start one per call).
   */
  @Test
  void getOrdersWaitingOnAStalledStoreTakeNoPlatformThreadEach() throws Exception {
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    int calls = 100;
    int platformThreadsBefore = threads.getThreadCount();
    stalled = new java.util.concurrent.CountDownLatch(1);
    List<java.util.concurrent.CompletableFuture<Status.Code>> answers = new java.util.ArrayList<>();
    var async = OrderServiceGrpc.newStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    for (int i = 0; i < calls; i++) answers.add(getOrderCode(async));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (decisionReadsStalled.get() < calls && System.nanoTime() < deadline) Thread.sleep(10);
    int platformThreadsDuring = threads.getThreadCount();
    stalled.countDown();

    assertTrue(decisionReadsStalled.get() >= calls, // the order book's own reads may stall too
        "every call is waiting on its read, none on the gRPC thread: " + decisionReadsStalled.get());
    for (var answer : answers) assertEquals(Status.Code.NOT_FOUND, answer.get(10, TimeUnit.SECONDS));
    assertTrue(platformThreadsDuring - platformThreadsBefore < 20,
        calls + " stalled reads took " + (platformThreadsDuring - platformThreadsBefore) + " more platform threads");
  }

  @Test
  void getOrderAnswersAStoreOutageUnavailableToRetry() {
    assertStatus(Status.Code.NOT_FOUND, "PURCHASE_NOT_FOUND", refusal(api -> api.getOrder(getOrder("shoes"))));

    failEventReadsFrom = 0; // the store is down before the event is even found
    assertStatus(Status.Code.UNAVAILABLE, "STORE_UNAVAILABLE", refusal(api -> api.getOrder(getOrder("shoes"))));
  }

  @Test
  void getOrderAnswersAStoreLostWhileSayingWhyThereIsNoOrderRatherThanHanging() {
    // The decision is looked up (none yet), then the store goes down before the second look says why.
    failDecisionReadsFrom = 2;
    var refused = refusal(api -> api.getOrder(getOrder("shoes")));

    assertStatus(Status.Code.UNAVAILABLE, "STORE_UNAVAILABLE", refused);
    assertEquals(2, decisionReads.get(), "the failing read was the one that explains the missing order");
  }

  @Test
  void malformedOrOverlongEventIdsAreInvalidFieldsAndNeverReachTheStore() {
    String huge = "x".repeat(10_000);
    for (String eventId : List.of("a{b}", "two words", huge)) {
      List<StatusRuntimeException> refusals = List.of(
          refusal(api -> api.getOrder(getOrder(eventId))),
          refusal(api -> api.confirmPayment(ConfirmPaymentRequest.newBuilder().setEventId(eventId).setRequestId("r-1").build())),
          refusal(api -> api.cancelPurchase(CancelPurchaseRequest.newBuilder().setEventId(eventId).setRequestId("r-1").build())));
      for (StatusRuntimeException refused : refusals) {
        assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", refused);
        assertEquals("event_id", Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
        String description = refused.getStatus().getDescription();
        assertTrue(description.length() < 200, "the id is not echoed whole: " + description.length() + " characters");
        assertFalse(description.contains("x".repeat(100)), description);
      }
    }
    assertEquals(0, eventReads.get() + decisionReads.get(), "no store read for a malformed id");
  }

  /** A confirm or cancel reaching an arbiter whose loop has stopped (it is shutting down) is answered at once, not left to the caller's deadline. */
  @Test
  void aChangeReachingAStoppingArbiterIsAnsweredNotLeftHanging() {
    loop.close();

    var confirm = refusal(api -> api.confirmPayment(ConfirmPaymentRequest.newBuilder().setEventId("shoes").setRequestId("r-1").build()));
    var cancel = refusal(api -> api.cancelPurchase(CancelPurchaseRequest.newBuilder().setEventId("shoes").setRequestId("r-1").build()));

    assertStatus(Status.Code.NOT_FOUND, "PURCHASE_NOT_FOUND", confirm); // the store answers: never decided
    assertStatus(Status.Code.NOT_FOUND, "PURCHASE_NOT_FOUND", cancel);
  }

  /**
   * The event's read (and its terms') runs off the gRPC thread too: here the server runs calls on
   * the caller's thread, which a read on it would hold for the whole stall.
   */
  @Test
  void getOrdersWaitingOnAStalledEventReadHoldNoGrpcThread() throws Exception {
    stalledEvents = new java.util.concurrent.CountDownLatch(1);
    var async = OrderServiceGrpc.newStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    List<java.util.concurrent.CompletableFuture<Status.Code>> answers = new java.util.ArrayList<>();
    long startNanos = System.nanoTime();
    for (int i = 0; i < 20; i++) answers.add(getOrderCode(async));
    long issuedMs = (System.nanoTime() - startNanos) / 1_000_000;
    stalledEvents.countDown();
    assertTrue(issuedMs < 2_000, "20 GetOrders on a stalled event read took " + issuedMs + " ms to send: read on the gRPC thread");
    for (var answer : answers) assertEquals(Status.Code.NOT_FOUND, answer.get(15, TimeUnit.SECONDS));
  }

  /**
   * A loser for stock whose book has not enrolled it yet (here no book is loaded: a new leader's
   * still loading) may still get a place on the waitlist: its cancel is "retry", as its GetOrder is,
   * not a final "not on the waitlist".
   */
  @Test
  void aCancelOfALoserTheBookHasNotEnrolledYetIsRetryNotNotAWin() throws Exception {
    long now = Micros.of(clock.instant());
    var won = new flashsale.sale.Ticket("shoes", "a", "ann", 1, "east", now - 1_000);
    var lost = new flashsale.sale.Ticket("shoes", "b", "bob", 1, "east", now - 900);
    memory.persistBatch(new flashsale.sale.DecisionBatch("shoes", 1, List.of(
        new Decision(won, flashsale.sale.Outcome.WON, flashsale.sale.LossReason.NONE, 1, now, false),
        new Decision(lost, flashsale.sale.Outcome.LOST, flashsale.sale.LossReason.SOLD_OUT, 2, now, false))))
        .get(5, TimeUnit.SECONDS);
    var lookup = refusal(api -> api.getOrder(GetOrderRequest.newBuilder().setEventId("shoes").setRequestId("b").build()));
    assertStatus(Status.Code.UNAVAILABLE, "NOT_LEADER", lookup);
    var cancel = refusal(api -> api.cancelPurchase(CancelPurchaseRequest.newBuilder().setEventId("shoes").setRequestId("b")
        .build()));
    assertStatus(Status.Code.UNAVAILABLE, "NOT_LEADER", cancel);
  }
}
