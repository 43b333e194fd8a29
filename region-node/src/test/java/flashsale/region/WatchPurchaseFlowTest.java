package flashsale.region;

import static flashsale.region.RegionFixture.decision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.DecisionBatch;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.Order;
import flashsale.v1.OrderState;
import flashsale.v1.OrderUpdate;
import flashsale.v1.PendingTicket;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseState;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Ticket;
import flashsale.v1.WatchPurchaseRequest;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** GetPurchase and WatchPurchase after the win, through a real region node against a scripted arbiter. */
class WatchPurchaseFlowTest extends RegionFixtureTest {

  private static Order order(PurchaseDecision d, OrderState state, long deadlineMicros) {
    Order.Builder o = Order.newBuilder().setEventId(d.getEventId()).setRequestId(d.getRequestId()).setUserId(d.getUserId())
        .setQuantity(d.getQuantity()).setRank(d.getRank()).setState(state);
    if (deadlineMicros > 0) o.setPaymentDeadlineTime(Times.timestamp(deadlineMicros));
    return o.build();
  }

  private void push(Order... orders) {
    f.stream.send(SequenceResponse.newBuilder().setOrderUpdate(OrderUpdate.newBuilder().setEventId("shoes")
        .addAllOrders(java.util.List.of(orders))).build());
  }

  private void decide(PurchaseDecision d) {
    f.stream.send(SequenceResponse.newBuilder().setDecisionBatch(DecisionBatch.newBuilder().addDecisions(d)).build());
  }

  /** Buys at the region and has the scripted arbiter decide it; GetDecision knows it too. */
  private PurchaseDecision bought(String requestId, boolean won, long rank) throws Exception {
    var call = f.purchase("shoes", "user-" + requestId, requestId, 1);
    Ticket t = f.stream.nextTicket();
    PurchaseDecision d = decision(t, won, rank);
    f.arbiter.decisions.put(requestId, d);
    decide(d);
    call.get(5, TimeUnit.SECONDS);
    return d;
  }

  private GetPurchaseResponse getPurchase(String requestId) {
    return f.blocking().getPurchase(GetPurchaseRequest.newBuilder().setEventId("shoes").setRequestId(requestId).build());
  }

  /** A purchase pending at the region, its ticket at the arbiter, and a watch told it is pending. */
  private record Watched(com.google.common.util.concurrent.ListenableFuture<flashsale.v1.PurchaseResponse> call,
      Ticket ticket, Watch watch) {}

  private Watched watchedWhilePending(String user, String requestId) throws InterruptedException {
    var call = f.purchase("shoes", user, requestId, 1);
    Ticket t = f.stream.nextTicket();
    Watch w = watch("shoes", requestId);
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, w.next().getState());
    return new Watched(call, t, w);
  }

  private Watch watch(String eventId, String requestId) {
    Watch w = new Watch();
    f.async().withDeadlineAfter(20, TimeUnit.SECONDS)
        .watchPurchase(WatchPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build(), w);
    return w;
  }

  @Test
  void getPurchaseShowsTheOrderAndThenWhatTheArbiterPushed() throws Exception {
    f.arbiter.paymentWindows.add("shoes");
    PurchaseDecision won = bought("r1", true, 1);
    long deadlineMicros = Times.micros(won.getDecideTime()) + 600_000_000L;
    f.arbiter.orders.put("r1", order(won, OrderState.ORDER_STATE_AWAITING_PAYMENT, deadlineMicros));
    GetPurchaseResponse owing = getPurchase("r1");
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, owing.getState());
    assertEquals(won, owing.getDecision());
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, owing.getOrder().getState());
    assertEquals(deadlineMicros, Times.micros(owing.getOrder().getPaymentDeadlineTime()));

    int asked = f.arbiter.decisionLookups.get();
    push(order(won, OrderState.ORDER_STATE_PAID, deadlineMicros));
    RegionFixture.await("the pushed payment shown", () -> getPurchase("r1").getOrder().getState() == OrderState.ORDER_STATE_PAID);
    assertEquals(asked, f.arbiter.decisionLookups.get(), "shown from the push, without asking the arbiter");
  }

  @Test
  void anEventWithoutAWindowShowsTheDecisionAloneAndItsWatchEndsAtOnce() throws Exception {
    PurchaseDecision won = bought("r1", true, 1);
    GetPurchaseResponse shown = getPurchase("r1");
    assertEquals(won, shown.getDecision());
    assertFalse(shown.hasOrder());
    Watch w = watch("shoes", "r1");
    assertEquals(won, w.next().getDecision());
    w.awaitEnd();
    assertEquals(null, w.error);
    assertTrue(w.got.isEmpty(), "one message: the decision is final");
  }

  @Test
  void aWatchFollowsALoserFromPendingThroughTheWaitlistAndItsPromotionToPayment() throws Exception {
    f.arbiter.paymentWindows.add("shoes");
    var call = f.purchase("shoes", "bob", "r2", 1);
    Ticket t = f.stream.nextTicket();
    Watch w = watch("shoes", "r2");
    WatchPurchaseResponse pending = w.next();
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, pending.getState());
    assertEquals(t.getArrivalMicros(), Times.micros(pending.getArrivalTime()));

    PurchaseDecision lost = decision(t, false, 4);
    f.arbiter.decisions.put("r2", lost);
    decide(lost);
    call.get(5, TimeUnit.SECONDS);
    WatchPurchaseResponse decided = w.next();
    assertEquals(lost, decided.getDecision());
    assertFalse(decided.hasOrder(), "its waitlist place is not stored yet");

    push(order(lost, OrderState.ORDER_STATE_WAITLISTED, 0));
    assertEquals(OrderState.ORDER_STATE_WAITLISTED, w.next().getOrder().getState());
    long deadlineMicros = Times.micros(lost.getDecideTime()) + 2_000_000;
    push(order(lost, OrderState.ORDER_STATE_AWAITING_PAYMENT, deadlineMicros));
    WatchPurchaseResponse promoted = w.next();
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, promoted.getOrder().getState());
    assertEquals(deadlineMicros, Times.micros(promoted.getOrder().getPaymentDeadlineTime()));
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, getPurchase("r2").getOrder().getState());
    push(order(lost, OrderState.ORDER_STATE_PAID, deadlineMicros));
    assertEquals(OrderState.ORDER_STATE_PAID, w.next().getOrder().getState());
    w.awaitEnd();
    assertEquals(null, w.error, "paid: the stream ends");
  }

  /**
   * The arbiter cannot say (yet) what the order of a purchase decided here is: its watch is told
   * the decision at once, stays open, and hears the order once a later question is answered.
   * (Before, the watch ended with the question's failure, though the region held the decision.)
   */
  @Test
  void aWatchIsToldTheDecisionWhileTheArbiterCannotAnswerAndTheOrderOnceItCan() throws Exception {
    f.arbiter.paymentWindows.add("shoes");
    Watched pending = watchedWhilePending("cat", "r3");
    var call = pending.call();
    Ticket t = pending.ticket();
    Watch w = pending.watch();

    var parked = new LinkedBlockingQueue<StreamObserver<flashsale.v1.GetDecisionResponse>>();
    f.arbiter.heldDecisionLookups = parked;
    PurchaseDecision won = decision(t, true, 1);
    f.arbiter.decisions.put("r3", won);
    decide(won);
    call.get(5, TimeUnit.SECONDS);
    WatchPurchaseResponse decided = w.next();
    assertEquals(won, decided.getDecision(), "the decision, without waiting for the arbiter's answer");
    assertFalse(decided.hasOrder());

    var question = parked.poll(5, TimeUnit.SECONDS);
    assertTrue(question != null, "the watch asked where the order stands");
    question.onError(Status.UNAVAILABLE.withDescription("leader changing").asRuntimeException());
    long deadlineMicros = Times.micros(won.getDecideTime()) + 600_000_000L;
    f.arbiter.orders.put("r3", order(won, OrderState.ORDER_STATE_AWAITING_PAYMENT, deadlineMicros));
    f.arbiter.heldDecisionLookups = null;
    WatchPurchaseResponse owing = w.next(); // asked again after the retry delay
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, owing.getOrder().getState());
    assertEquals(null, w.error, "the watch stayed open through the failed question");
    push(order(won, OrderState.ORDER_STATE_PAID, deadlineMicros));
    assertEquals(OrderState.ORDER_STATE_PAID, w.next().getOrder().getState());
    w.awaitEnd();
    assertEquals(null, w.error);
  }

  /** Watched while pending, in an event without a window: the decision, then the end, once the arbiter says so. */
  @Test
  void aWatchOfAPendingPurchaseInAnEventWithoutAWindowEndsWithItsDecision() throws Exception {
    Watched pending = watchedWhilePending("dan", "r4");
    var call = pending.call();
    Ticket t = pending.ticket();
    Watch w = pending.watch();
    PurchaseDecision won = decision(t, true, 1);
    f.arbiter.decisions.put("r4", won);
    decide(won);
    call.get(5, TimeUnit.SECONDS);
    assertEquals(won, w.next().getDecision());
    w.awaitEnd();
    assertEquals(null, w.error);
    assertTrue(w.got.isEmpty(), "the decision once: it is final");
  }

  /** The arbiter no longer holds the purchase (its retention ended): the watch ends on the decision it was told. */
  @Test
  void aWatchWhoseOrderTheArbiterNoLongerHoldsEndsOnItsDecision() throws Exception {
    Watched pending = watchedWhilePending("eve", "r5");
    var call = pending.call();
    Ticket t = pending.ticket();
    Watch w = pending.watch();
    PurchaseDecision won = decision(t, true, 1);
    decide(won); // GetDecision will answer NOT_FOUND: the fake arbiter holds no decision r5
    call.get(5, TimeUnit.SECONDS);
    assertEquals(won, w.next().getDecision());
    w.awaitEnd();
    assertEquals(null, w.error, "ended on the decision, not asked again until the deadline");
  }

  @Test
  void aWatchHearsTheExpiryItMissedWhileTheArbiterStreamWasDown() throws Exception {
    f.arbiter.paymentWindows.add("shoes");
    PurchaseDecision won = bought("r1", true, 1);
    f.arbiter.orders.put("r1", order(won, OrderState.ORDER_STATE_AWAITING_PAYMENT, 5_000_000));
    Watch w = watch("shoes", "r1");
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, w.next().getOrder().getState());

    f.stream.breakWith(Status.UNAVAILABLE.withDescription("arbiter failing over"));
    f.arbiter.orders.put("r1", order(won, OrderState.ORDER_STATE_EXPIRED, 5_000_000)); // pushed to nobody
    f.arbiter.nextStream();
    assertEquals(OrderState.ORDER_STATE_EXPIRED, w.next().getOrder().getState());
    w.awaitEnd();
    assertEquals(null, w.error);
  }

  @Test
  void badWatchesGetExactStatuses() throws Exception {
    assertWatchFails(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD, "", "r1");
    assertWatchFails(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD, "shoes", "");
    assertWatchFails(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND, "no-such-event", "r1");
    assertWatchFails(Status.Code.NOT_FOUND, ErrorReason.PURCHASE_NOT_FOUND, "shoes", "never-sent");
    f.arbiter.pending.put("elsewhere", PendingTicket.newBuilder().setRegion("us")
        .setArrivalTime(Times.timestamp(1_000_000)).build());
    StatusRuntimeException pending = assertWatchFails(Status.Code.FAILED_PRECONDITION, ErrorReason.PURCHASE_PENDING,
        "shoes", "elsewhere");
    assertTrue(pending.getStatus().getDescription().contains("region us"), pending.toString());
  }

  private StatusRuntimeException assertWatchFails(Status.Code code, ErrorReason reason, String eventId, String requestId)
      throws InterruptedException {
    Watch w = watch(eventId, requestId);
    w.awaitEnd();
    StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, w.error, eventId + "/" + requestId);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    assertEquals(java.util.Optional.of(reason.name()), Errors.reasonOf(e), e.toString());
    assertTrue(w.got.isEmpty(), "nothing sent before the error");
    return e;
  }

  /** A WatchPurchase client: each message, then how the stream ended. */
  static final class Watch implements StreamObserver<WatchPurchaseResponse> {
    final BlockingQueue<WatchPurchaseResponse> got = new LinkedBlockingQueue<>();
    final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
    volatile Throwable error;

    WatchPurchaseResponse next() throws InterruptedException {
      WatchPurchaseResponse r = got.poll(FakeArbiter.WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (r == null) throw new AssertionError("no message within " + FakeArbiter.WAIT + "; ended: " + (ended.getCount() == 0)
          + " error: " + error);
      return r;
    }

    void awaitEnd() throws InterruptedException {
      assertTrue(ended.await(FakeArbiter.WAIT.toMillis(), TimeUnit.MILLISECONDS), "stream ended");
    }

    @Override
    public void onNext(WatchPurchaseResponse value) {
      got.add(value);
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
  }
}
