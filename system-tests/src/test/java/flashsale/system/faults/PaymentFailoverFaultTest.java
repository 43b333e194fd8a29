package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.PurchaseState;
import flashsale.region.RegionServer;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.store.OrderStore;
import flashsale.store.OrderStores;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.OrderServiceGrpc;
import flashsale.v1.OrderState;
import flashsale.v1.PurchaseRequest;
import flashsale.wire.Times;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After the win across a leader SIGKILL: two arbiter processes on one AOF Redis with the lease,
 * mutual TLS. Half the payments go to the first leader, which is then killed; the rest, the
 * expiries and the promotions happen under the next. The result is what it would be without the
 * kill: the next losers in global order get the units, every unit ends paid, and the outbox holds
 * each transition once.
 */
class PaymentFailoverFaultTest {
  static final int STOCK = 40;
  static final int BUYERS = 200;
  static final long WINDOW_MS = 20_000; // longer than a takeover, so the payments after the kill are in time

  static FailoverCluster cluster;
  static RedisArbiterStore store;
  static OrderStore orders;
  static List<ArbiterProcess> arbiters;
  static Map<String, RegionServer> regions;

  @BeforeAll
  static void start() throws Exception {
    cluster = FailoverCluster.start(List.of("pay-a", "pay-b"), "pki-payments");
    store = cluster.store;
    orders = OrderStores.of(store).orElseThrow();
    arbiters = cluster.arbiters;
    regions = cluster.regions;
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  static ManagedChannel channel(String target, io.grpc.ChannelCredentials credentials) {
    return cluster.channel(target, credentials);
  }

  static ManagedChannel adminChannel(ArbiterProcess a) {
    return cluster.adminChannel(a);
  }

  static ArbiterProcess awaitLeader(long timeoutMs) throws InterruptedException {
    return cluster.awaitLeader(timeoutMs);
  }

  /** Waits until {@code a} answers as a standby (NOT_LEADER), so it can take over at once. */
  static void awaitStandby(ArbiterProcess a) throws InterruptedException {
    cluster.awaitStandby(a, 60_000);
  }

  /** An order-service call on whichever arbiter leads, retried while leadership moves (UNAVAILABLE). */
  static <T> T onLeader(Function<OrderServiceGrpc.OrderServiceBlockingStub, T> call) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      ArbiterProcess leader = awaitLeader(30_000);
      try {
        return call.apply(OrderServiceGrpc.newBlockingStub(adminChannel(leader)).withDeadlineAfter(5, TimeUnit.SECONDS));
      } catch (StatusRuntimeException e) {
        boolean moving = e.getStatus().getCode() == Status.Code.UNAVAILABLE
            || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED;
        if (!moving || System.nanoTime() > deadline) throw e;
        Thread.sleep(20);
      }
    }
  }

  static OrderState confirm(String eventId, String rid) throws InterruptedException {
    return onLeader(s -> s.confirmPayment(ConfirmPaymentRequest.newBuilder().setEventId(eventId).setRequestId(rid).build()))
        .getOrder().getState();
  }

  static void burst(String eventId) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(BUYERS);
    List<String> names = List.copyOf(regions.keySet());
    Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> stubs = new LinkedHashMap<>();
    for (String name : names) {
      stubs.put(name, FlashSaleServiceGrpc.newStub(channel("127.0.0.1:" + regions.get(name).port(),
          InsecureChannelCredentials.create())));
    }
    for (int i = 0; i < BUYERS; i++) {
      String rid = eventId + "-r" + i;
      stubs.get(names.get(i % names.size())).withDeadlineAfter(20, TimeUnit.SECONDS).purchase(PurchaseRequest.newBuilder()
          .setEventId(eventId).setUserId("user-" + rid).setRequestId(rid).setQuantity(1).build(),
          new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(flashsale.v1.PurchaseResponse r) {}

            @Override
            public void onError(Throwable t) {
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          });
    }
    assertTrue(done.await(30, TimeUnit.SECONDS), "every purchase answered");
  }

  @Test
  void aLeaderKilledBetweenPaymentsChangesNothingInTheResult() throws Exception {
    ArbiterProcess first = awaitLeader(30_000);
    awaitStandby(arbiters.get(0) == first ? arbiters.get(1) : arbiters.get(0)); // takeover must not wait for its JVM
    String eventId = "paykill";
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(STOCK)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(regions.keySet()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    EventAdminServiceGrpc.newBlockingStub(adminChannel(first)).withDeadlineAfter(5, TimeUnit.SECONDS).createEvent(
        CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event)
            .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(WINDOW_MS / 1000)).build());
    burst(eventId);
    List<Decision> ranked = store.loadLedger(eventId).decisions();
    List<String> winners = ranked.stream().filter(Decision::won).map(Decision::requestId).toList();
    List<String> losers = ranked.stream().filter(d -> d.lossReason() == LossReason.SOLD_OUT).map(Decision::requestId).toList();
    assertEquals(STOCK, winners.size());

    // winners 0-9 never pay, 10-14 cancel, 15-39 pay: 15-26 before the kill, 27-39 after.
    for (String rid : winners.subList(10, 15)) {
      assertEquals(OrderState.ORDER_STATE_CANCELLED, onLeader(s -> s.cancelPurchase(CancelPurchaseRequest.newBuilder()
          .setEventId(eventId).setRequestId(rid).build())).getOrder().getState());
    }
    for (String rid : winners.subList(15, 27)) assertEquals(OrderState.ORDER_STATE_PAID, confirm(eventId, rid));
    long killedNanos = System.nanoTime();
    first.kill();
    for (String rid : winners.subList(27, STOCK)) assertEquals(OrderState.ORDER_STATE_PAID, confirm(eventId, rid));
    long paidAfterKillMs = (System.nanoTime() - killedNanos) / 1_000_000;
    first.start(); // back as a standby

    Set<String> promoted = new HashSet<>();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4 * WINDOW_MS + 10_000);
    while (promoted.size() < 15 && System.nanoTime() < end) {
      for (var o : orders.loadOrders(eventId).orders()) {
        if (o.state() == PurchaseState.AWAITING_PAYMENT && !winners.contains(o.requestId()) && promoted.add(o.requestId())) {
          assertEquals(OrderState.ORDER_STATE_PAID, confirm(eventId, o.requestId()));
        }
      }
      Thread.sleep(20);
    }
    assertEquals(Set.copyOf(losers.subList(0, 15)), promoted, "the next 15 losers in global order, no one else");
    var stored = orders.loadOrders(eventId);
    assertEquals(STOCK, stored.orders().stream().filter(o -> o.state() == PurchaseState.PAID).count(), "every unit paid");
    List<OrderTransition> outbox = orders.readTransitions(eventId);
    assertEquals(Map.of(Kind.CANCELLED, 5L, Kind.EXPIRED, 10L, Kind.PROMOTED, 15L, Kind.PAID, 40L,
            Kind.WAITLIST_CLOSED, 2L * STOCK - 15), // every unit paid: the rest of the waitlist (twice the stock) closes
        outbox.stream().collect(Collectors.groupingBy(OrderTransition::kind, Collectors.counting())));
    assertEquals(outbox.size(), outbox.stream().map(t -> t.kind() + ":" + t.requestId()).distinct().count(),
        "each transition once");
    System.out.printf("payments across a leader SIGKILL: 13 confirms answered within %d ms of the kill; 10 expiries and 15"
        + " promotions under the new leader; all %d units paid%n", paidAfterKillMs, STOCK);
  }
}
