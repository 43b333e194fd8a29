package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterNode;
import flashsale.arbiter.testing.RegionStreamArbiter;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.Order;
import flashsale.v1.OrderServiceGrpc;
import flashsale.v1.OrderState;
import flashsale.v1.OrderUpdate;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.Ticket;
import flashsale.v1.TicketBatch;
import flashsale.v1.Watermark;
import flashsale.wire.Times;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a region learns of orders after the win: each stored write pushed on its Sequence stream
 * (OrderUpdate), and GetDecision's stored order, NOT_WAITLISTED once the stored waitlist is full.
 */
class RegionOrderUpdatesTest {
  private RegionStreamArbiter arbiter;
  private ArbiterNode node;
  private ManagedChannel channel;
  private BlockingQueue<SequenceResponse> received;
  private StreamObserver<SequenceRequest> stream;
  /** Messages read while waiting for decisions, still to be looked at in order. */
  private final java.util.ArrayDeque<SequenceResponse> later = new java.util.ArrayDeque<>();

  @BeforeEach
  void start() throws Exception {
    arbiter = new RegionStreamArbiter(new InMemoryArbiterStore());
    node = arbiter.node;
    channel = arbiter.channel;
    received = arbiter.received;
    stream = arbiter.stream;
  }

  @AfterEach
  void stop() {
    arbiter.close();
  }

  private void createEvent(String eventId, boolean paymentWindow) {
    long now = System.currentTimeMillis() * 1000;
    var event = EventAdminGrpcServiceTest.validEvent().setEventId(eventId).setStock(1).clearRegions().addRegions("east")
        .setStartTime(Times.timestamp(now - 1_000_000)).build();
    var request = CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event);
    if (paymentWindow) request.setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(60)).setWaitlistBound(1);
    EventAdminServiceGrpc.newBlockingStub(channel).createEvent(request.build());
  }

  /** Sends the tickets, then watermarks until all are decided; returns the decisions by request id. */
  private Map<String, PurchaseDecision> decide(String eventId, String... requestIds) throws InterruptedException {
    long stampMicros = System.currentTimeMillis() * 1000;
    TicketBatch.Builder batch = TicketBatch.newBuilder();
    for (String rid : requestIds) {
      batch.addTickets(Ticket.newBuilder().setEventId(eventId).setRequestId(rid).setUserId("user-" + rid).setQuantity(1)
          .setArrivalMicros(++stampMicros));
    }
    stream.onNext(SequenceRequest.newBuilder().setTicketBatch(batch).build());
    Map<String, PurchaseDecision> decided = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (decided.size() < requestIds.length && System.nanoTime() < deadline) {
      long watermarkMicros = Math.max(System.currentTimeMillis() * 1000, ++stampMicros);
      stampMicros = watermarkMicros;
      stream.onNext(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(watermarkMicros)).build());
      SequenceResponse r = received.poll(5, TimeUnit.MILLISECONDS);
      if (r != null && r.hasDecisionBatch()) r.getDecisionBatch().getDecisionsList().forEach(d -> decided.put(d.getRequestId(), d));
      else if (r != null) later.add(r);
    }
    assertEquals(requestIds.length, decided.size(), "all decided: " + decided.keySet());
    return decided;
  }

  /** The next OrderUpdate on the stream (other messages skipped). */
  private OrderUpdate nextOrderUpdate() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      SequenceResponse r = later.isEmpty() ? received.poll(10, TimeUnit.MILLISECONDS) : later.remove();
      if (r != null && r.hasOrderUpdate()) return r.getOrderUpdate();
    }
    throw new AssertionError("no OrderUpdate within 5 s");
  }

  private static Map<String, OrderState> states(OrderUpdate update) {
    return update.getOrdersList().stream().collect(Collectors.toMap(Order::getRequestId, Order::getState));
  }

  private GetDecisionResponse getDecision(String eventId, String requestId) {
    return SequencerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .getDecision(GetDecisionRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build());
  }

  @Test
  void storedOrderWritesArePushedAndGetDecisionAnswersTheStoredOrder() throws Exception {
    createEvent("drop", true);
    decide("drop", "a", "b", "c");
    OrderUpdate enrolled = nextOrderUpdate();
    assertEquals("drop", enrolled.getEventId());
    assertEquals(Map.of("a", OrderState.ORDER_STATE_AWAITING_PAYMENT, "b", OrderState.ORDER_STATE_WAITLISTED),
        states(enrolled), "c lost past the waitlist bound of 1: no order");
    assertTrue(enrolled.getWaitlistFull());
    assertTrue(enrolled.getOrders(0).hasPaymentDeadlineTime());

    GetDecisionResponse a = getDecision("drop", "a");
    assertTrue(a.getHasPaymentWindow());
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, a.getOrder().getState());
    assertEquals(OrderState.ORDER_STATE_WAITLISTED, getDecision("drop", "b").getOrder().getState());
    GetDecisionResponse c = getDecision("drop", "c");
    assertEquals(OrderState.ORDER_STATE_NOT_WAITLISTED, c.getOrder().getState(), "the stored waitlist is full");
    assertEquals(c.getDecision().getRank(), c.getOrder().getRank());

    OrderServiceGrpc.newBlockingStub(channel).cancelPurchase(
        CancelPurchaseRequest.newBuilder().setEventId("drop").setRequestId("a").build());
    OrderUpdate cancelled = nextOrderUpdate();
    assertEquals(List.of("a", "b"), cancelled.getOrdersList().stream().map(Order::getRequestId).toList(), "in write order");
    assertEquals(Map.of("a", OrderState.ORDER_STATE_CANCELLED, "b", OrderState.ORDER_STATE_AWAITING_PAYMENT),
        states(cancelled), "the unit went to b, promoted");
    assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, getDecision("drop", "b").getOrder().getState());
  }

  /**
   * The write that closes a big waitlist holds a change per waiter. As one OrderUpdate, 100,000 of
   * them (ids at their longest) would be over the 16 MiB a region takes in one message, and the
   * region's whole stream would fail; they go out in updates a region takes, in write order.
   */
  @Test
  void aWriteThatClosesAHugeWaitlistIsPushedInUpdatesARegionTakes() {
    int regionMaxInboundBytes = 16 * 1024 * 1024; // ArbiterChannels.MAX_INBOUND_BYTES on the region
    List<flashsale.orders.OrderTransition> closed = new java.util.ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      closed.add(new flashsale.orders.OrderTransition(flashsale.orders.OrderTransition.Kind.WAITLIST_CLOSED,
          ("request-" + i + "-").repeat(20).substring(0, 128), "user-".repeat(13).substring(0, 64), 1, i + 2, 0, 1_000));
    }
    var durable = new flashsale.arbiter.core.orders.OrderEffect.OrdersDurable("drop", 7, closed, true);
    long oneMessageBytes = closed.stream()
        .mapToLong(t -> flashsale.wire.OrderWire.toProto("drop", t).getSerializedSize() + 4).sum();
    assertTrue(oneMessageBytes > regionMaxInboundBytes, "as one message: " + oneMessageBytes + " bytes");

    List<SequenceResponse> updates = RegionSessions.orderUpdates(durable);
    for (SequenceResponse update : updates) {
      assertTrue(update.getSerializedSize() < regionMaxInboundBytes / 8, update.getSerializedSize() + " bytes");
      assertEquals("drop", update.getOrderUpdate().getEventId());
      assertTrue(update.getOrderUpdate().getWaitlistFull());
    }
    assertEquals(closed.stream().map(flashsale.orders.OrderTransition::requestId).toList(),
        updates.stream().flatMap(u -> u.getOrderUpdate().getOrdersList().stream()).map(Order::getRequestId).toList(),
        "every change, in write order");
  }

  @Test
  void anEventWithoutAWindowSaysSoAndPushesNoOrders() throws Exception {
    createEvent("plain", false);
    decide("plain", "p", "q");
    GetDecisionResponse p = getDecision("plain", "p");
    assertFalse(p.getHasPaymentWindow());
    assertFalse(p.hasOrder());
    // An event decided later does push: the stream is ordered, so any push for "plain" came first.
    createEvent("drop", true);
    decide("drop", "a");
    assertEquals("drop", nextOrderUpdate().getEventId(), "no orders pushed for the event without a window");
  }

  @Test
  void getEventShowsThePaymentTermsOfAnEventWithAWindowOnly() {
    createEvent("drop", true);
    createEvent("plain", false);
    var admin = EventAdminServiceGrpc.newBlockingStub(channel);
    var drop = admin.getEvent(flashsale.v1.EventAdminServiceGetEventRequest.newBuilder().setEventId("drop").build());
    assertTrue(drop.hasPaymentTerms());
    assertEquals(60, drop.getPaymentTerms().getPaymentWindow().getSeconds());
    assertEquals(1, drop.getPaymentTerms().getWaitlistBound());
    var plain = admin.getEvent(flashsale.v1.EventAdminServiceGetEventRequest.newBuilder().setEventId("plain").build());
    assertFalse(plain.hasPaymentTerms(), "wins are final: no terms");
  }
}
