package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.orders.PurchaseState;
import flashsale.store.OrderStore;
import flashsale.store.OrderStores;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.LossReason;
import flashsale.v1.OrderServiceGrpc;
import flashsale.v1.OrderState;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.WatchPurchaseRequest;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Buyers learn of a promotion or an expiry without polling, end to end over real gRPC and Redis:
 * watching on a region, a waitlisted loser hears its promotion and then its payment, a winner that
 * never pays hears its expiry, and GetPurchase on either region shows the same states. Every state
 * a watcher hears is already in the store (durable before told).
 */
class PurchaseWatchEndToEndTest {
  static final long WINDOW_MS = 3_000;
  static ClusterFixture fx;
  static OrderStore orders;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", 5, Duration.ZERO)));
    orders = OrderStores.of(fx.store).orElseThrow();
  }

  @AfterAll
  static void stop() {
    if (fx != null) fx.close();
  }

  static void createEvent(String eventId, long stock, long waitlistBound) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(stock)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 60_000_000))
        .setPerUserLimit(1).addAllRegions(fx.cluster.regionNames()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    fx.admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event)
        .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(WINDOW_MS / 1000)
            .setNanos((int) (WINDOW_MS % 1000) * 1_000_000))
        .setWaitlistBound(waitlistBound).build());
  }

  /** One purchase, answered before the next is sent: their global order is the order of the calls. */
  static PurchaseDecision buy(String region, String eventId, String rid) {
    return fx.buyer(region).withDeadlineAfter(20, TimeUnit.SECONDS).purchase(PurchaseRequest.newBuilder()
        .setEventId(eventId).setUserId("user-" + rid).setRequestId(rid).setQuantity(1).build()).getDecision();
  }

  static OrderServiceGrpc.OrderServiceBlockingStub orderService() {
    return OrderServiceGrpc.newBlockingStub(fx.channel(fx.cluster.arbiterTarget())).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static GetPurchaseResponse getPurchase(String region, String eventId, String rid) {
    return fx.buyer(region).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getPurchase(GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(rid).build());
  }

  @Test
  void aWaitlistedLoserHearsItsPromotionAndAWinnerItsExpiryAndGetPurchaseAgrees() throws Exception {
    String eventId = "watch1";
    createEvent(eventId, 2, 4);
    assertEquals(Outcome.OUTCOME_WON, buy("near", eventId, "w1").getOutcome());
    assertEquals(Outcome.OUTCOME_WON, buy("far", eventId, "w2").getOutcome());
    for (String rid : List.of("l1", "l2", "l3")) {
      assertEquals(LossReason.LOSS_REASON_SOLD_OUT, buy(rid.equals("l2") ? "far" : "near", eventId, rid).getLossReason());
    }
    long startMs = System.currentTimeMillis();
    Watch winner = Watch.start("near", eventId, "w1");
    Watch cancelled = Watch.start("far", eventId, "w2");
    Watch loser = Watch.start("far", eventId, "l1"); // bought at near: any region follows it
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, winner.nextOrder().getOrder().getState());
    assertEquals(OrderState.ORDER_STATE_WAITLISTED, loser.nextOrder().getOrder().getState());
    assertEquals(OrderState.ORDER_STATE_WAITLISTED, getPurchase("near", eventId, "l1").getOrder().getState());

    long cancelMicros = System.currentTimeMillis() * 1000;
    orderService().cancelPurchase(CancelPurchaseRequest.newBuilder().setEventId(eventId).setRequestId("w2").build());
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, cancelled.nextOrder().getOrder().getState());
    assertEquals(OrderState.ORDER_STATE_CANCELLED, cancelled.nextOrder().getOrder().getState());
    cancelled.awaitEnd();
    WatchPurchaseResponse promoted = loser.nextOrder();
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, promoted.getOrder().getState(), "told of its promotion");
    long promotedDeadlineMicros = Times.micros(promoted.getOrder().getPaymentDeadlineTime());
    assertTrue(promotedDeadlineMicros >= cancelMicros + WINDOW_MS * 1000, "a fresh window from the promotion");
    System.out.printf("promotion heard %d ms after the cancel was sent%n", System.currentTimeMillis() - cancelMicros / 1000);

    orderService().confirmPayment(ConfirmPaymentRequest.newBuilder().setEventId(eventId).setRequestId("l1").build());
    assertEquals(OrderState.ORDER_STATE_PAID, loser.nextOrder().getOrder().getState());
    loser.awaitEnd();

    // w1 never pays: its window runs out by itself, and its unit goes to l2.
    WatchPurchaseResponse expired = winner.nextOrder();
    assertEquals(OrderState.ORDER_STATE_EXPIRED, expired.getOrder().getState(), "told of its expiry");
    winner.awaitEnd();
    long expiredAfterMs = System.currentTimeMillis() - Times.micros(expired.getOrder().getPaymentDeadlineTime()) / 1000;
    System.out.printf("expiry heard %d ms after the deadline (watch started %d ms before)%n", expiredAfterMs,
        System.currentTimeMillis() - startMs);

    Map<String, OrderState> expected = Map.of("w1", OrderState.ORDER_STATE_EXPIRED, "w2", OrderState.ORDER_STATE_CANCELLED,
        "l1", OrderState.ORDER_STATE_PAID, "l2", OrderState.ORDER_STATE_AWAITING_PAYMENT,
        "l3", OrderState.ORDER_STATE_WAITLISTED);
    for (String region : List.of("near", "far")) {
      for (var e : expected.entrySet()) {
        awaitState(region, eventId, e.getKey(), e.getValue());
      }
    }
    for (Watch w : List.of(winner, cancelled, loser)) {
      assertNull(w.error, "ended cleanly");
      assertEquals(List.of(), w.aheadOfStore, "every state heard was already stored");
    }
  }

  @Test
  void aLoserPastTheWaitlistHearsItAtOnceAndTheStreamEnds() throws Exception {
    String eventId = "watch2";
    createEvent(eventId, 1, 0);
    buy("near", eventId, "a");
    PurchaseDecision lost = buy("far", eventId, "b");
    assertEquals(Outcome.OUTCOME_LOST, lost.getOutcome());
    Watch w = Watch.start("near", eventId, "b");
    WatchPurchaseResponse last = w.nextOrder();
    assertEquals(OrderState.ORDER_STATE_NOT_WAITLISTED, last.getOrder().getState());
    assertEquals(lost.getRank(), last.getOrder().getRank());
    w.awaitEnd();
    assertNull(w.error);
    assertEquals(OrderState.ORDER_STATE_NOT_WAITLISTED, getPurchase("far", eventId, "b").getOrder().getState());
  }

  @Test
  void badWatchesGetExactStatuses() throws Exception {
    createEvent("watch3", 1, 2);
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", "", "r");
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", "watch3", "");
    assertFails(Status.Code.NOT_FOUND, "EVENT_NOT_FOUND", "no-such-event", "r");
    assertFails(Status.Code.NOT_FOUND, "PURCHASE_NOT_FOUND", "watch3", "never-sent");
  }

  static void assertFails(Status.Code code, String reason, String eventId, String rid) throws InterruptedException {
    Watch w = Watch.start("near", eventId, rid);
    w.awaitEnd();
    StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, w.error, eventId + "/" + rid);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    assertEquals(Optional.of(reason), Errors.reasonOf(e), e.toString());
    assertTrue(w.got.isEmpty());
  }

  /** GetPurchase on {@code region} shows {@code state} (l2's promotion follows the expiry by a write). */
  static void awaitState(String region, String eventId, String rid, OrderState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    OrderState shown = null;
    while (System.nanoTime() < deadline) {
      shown = getPurchase(region, eventId, rid).getOrder().getState();
      if (shown == state) return;
      Thread.sleep(20);
    }
    assertEquals(state, shown, rid + " at " + region);
  }

  /** A WatchPurchase call: what it heard, whether the store already held each order, and how it ended. */
  static final class Watch implements StreamObserver<WatchPurchaseResponse> {
    final String eventId;
    final BlockingQueue<WatchPurchaseResponse> got = new LinkedBlockingQueue<>();
    final List<String> aheadOfStore = new java.util.concurrent.CopyOnWriteArrayList<>();
    final CountDownLatch ended = new CountDownLatch(1);
    volatile Throwable error;

    private Watch(String eventId) {
      this.eventId = eventId;
    }

    static Watch start(String region, String eventId, String rid) {
      Watch w = new Watch(eventId);
      fx.asyncBuyer(region).withDeadlineAfter(60, TimeUnit.SECONDS)
          .watchPurchase(WatchPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(rid).build(), w);
      return w;
    }

    /** The next message with an order (one without is a decision whose order was still being stored). */
    WatchPurchaseResponse nextOrder() throws InterruptedException {
      while (true) {
        WatchPurchaseResponse r = got.poll(10, TimeUnit.SECONDS);
        if (r == null) throw new AssertionError("no message within 10 s; error " + error);
        if (r.hasOrder()) return r;
        assertFalse(ended.getCount() == 0 && got.isEmpty(), "ended without an order");
      }
    }

    void awaitEnd() throws InterruptedException {
      assertTrue(ended.await(10, TimeUnit.SECONDS), "the stream ended");
    }

    @Override
    public void onNext(WatchPurchaseResponse r) {
      if (r.hasOrder() && r.getOrder().getState() != OrderState.ORDER_STATE_NOT_WAITLISTED) {
        var stored = orders.findOrder(eventId, r.getOrder().getRequestId()).map(o -> stage(o.state())).orElse(-1);
        if (stored < stage(PurchaseState.valueOf(r.getOrder().getState().name().substring("ORDER_STATE_".length())))) {
          aheadOfStore.add(r.getOrder().getRequestId() + " " + r.getOrder().getState());
        }
      }
      got.add(r);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
      ended.countDown();
    }

    @Override
    public void onCompleted() {
      ended.countDown();
    }

    private static int stage(PurchaseState s) {
      return switch (s) {
        case WAITLISTED -> 0;
        case AWAITING_PAYMENT -> 1;
        default -> 2;
      };
    }
  }
}
