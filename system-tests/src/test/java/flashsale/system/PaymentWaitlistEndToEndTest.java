package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.store.OrderStore;
import flashsale.store.OrderStores;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.v1.GetOrderRequest;
import flashsale.v1.Order;
import flashsale.v1.OrderServiceGrpc;
import flashsale.v1.OrderState;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After the win, end to end over real gRPC and Redis: a burst of 1,000 against stock 100 with a
 * 2 s payment window; 30 winners never pay and 10 cancel; their units go to exactly the next
 * losers in global order, who pay; the event ends with every unit paid. An order-service consumer
 * group reads every transition from the outbox once, in order.
 */
class PaymentWaitlistEndToEndTest {
  static final int STOCK = 100;
  static final int BUYERS = 1_000;
  static final long WINDOW_MS = 2_000;
  static ClusterFixture fx;
  static OrderStore orders;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", 5, Duration.ZERO)));
    orders = OrderStores.of(fx.store).orElseThrow();
    // A cold JVM answers the first burst slower than a 2 s window: warm the path up first.
    createEvent("warmup", 100, 60_000);
    burst("warmup", 1_000);
  }

  @AfterAll
  static void stop() {
    if (fx != null) fx.close();
  }

  static OrderServiceGrpc.OrderServiceBlockingStub orderService() {
    return OrderServiceGrpc.newBlockingStub(fx.channel(fx.cluster.arbiterTarget())).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static void createEvent(String eventId, long stock, long windowMs) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(stock)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 5_000_000))
        .setPerUserLimit(1).addAllRegions(fx.cluster.regionNames()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    fx.admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event)
        .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(windowMs / 1000)
            .setNanos((int) (windowMs % 1000) * 1_000_000)).build());
  }

  /** {@code buyers} purchases of one unit each, every user distinct, over both regions at once; all answered. */
  static void burst(String eventId, int buyers) throws Exception {
    for (String region : List.of("near", "far")) { // connections open before the burst
      fx.buyer(region).getEvent(flashsale.v1.GetEventRequest.newBuilder().setEventId(eventId).build());
    }
    long startNanos = System.nanoTime();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(buyers);
    Map<String, Throwable> errors = new ConcurrentHashMap<>();
    for (int i = 0; i < buyers; i++) {
      String rid = eventId + "-r" + i;
      fx.asyncBuyer(i % 2 == 0 ? "near" : "far").withDeadlineAfter(20, TimeUnit.SECONDS).purchase(PurchaseRequest.newBuilder()
          .setEventId(eventId).setUserId("user-" + rid).setRequestId(rid).setQuantity(1).build(),
          new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(flashsale.v1.PurchaseResponse r) {}

            @Override
            public void onError(Throwable t) {
              errors.put(rid, t);
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          });
    }
    assertTrue(done.await(30, TimeUnit.SECONDS), "every purchase answered");
    assertEquals(Map.of(), errors);
    System.out.printf("burst event=%s buyers=%d answeredMs=%d%n", eventId, buyers, (System.nanoTime() - startNanos) / 1_000_000);
  }

  /** Runs the calls in parallel and waits for all (each asserts its own answer). */
  static void inParallel(List<String> rids, java.util.function.Consumer<String> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<?>> calls = new ArrayList<>();
      for (String rid : rids) calls.add(pool.submit(() -> call.accept(rid)));
      for (var c : calls) c.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  static Order confirm(String eventId, String rid) {
    return orderService().confirmPayment(ConfirmPaymentRequest.newBuilder().setEventId(eventId).setRequestId(rid).build())
        .getOrder();
  }

  static Order order(String eventId, String rid) {
    return orderService().getOrder(GetOrderRequest.newBuilder().setEventId(eventId).setRequestId(rid).build()).getOrder();
  }

  /**
   * The waitlist joins in rank order, so its losers must be ranked in stamp order, not in the order
   * their tickets reach the arbiter. After the one unit is sold, each round sends a far buyer, waits
   * until the far region has stamped it, and 2 ms later sends a near buyer: the near ticket reaches
   * the arbiter first (the far link adds 5 ms), yet the far buyer must be ranked, and waitlisted, first.
   */
  @Test
  void aFarBuyerStampedFirstIsWaitlistedAheadOfANearBuyerWhoseTicketReachedTheArbiterFirst() throws Exception {
    String eventId = "order1";
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(1)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 60_000_000))
        .setPerUserLimit(1).addAllRegions(fx.cluster.regionNames()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    fx.admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event)
        .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(60)).setWaitlistBound(40).build());
    assertEquals(Outcome.OUTCOME_WON, buy("near", eventId, "first").getDecision().getOutcome());
    int rounds = 15;
    List<String> stampOrder = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      var farAnswer = flashsale.v1.FlashSaleServiceGrpc.newFutureStub(fx.channel(fx.cluster.regionTarget("far")))
          .withDeadlineAfter(20, TimeUnit.SECONDS).purchase(purchase(eventId, "far-" + i));
      fx.awaitStamped("far", eventId, "far-" + i);
      Thread.sleep(2);
      PurchaseResponse nearAnswer = buy("near", eventId, "near-" + i);
      farAnswer.get(20, TimeUnit.SECONDS);
      assertEquals(flashsale.v1.LossReason.LOSS_REASON_SOLD_OUT, nearAnswer.getDecision().getLossReason());
      stampOrder.add("far-" + i);
      stampOrder.add("near-" + i);
    }
    List<String> ranked = fx.decisions(eventId).stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_LOST)
        .map(PurchaseDecision::getRequestId).toList();
    assertEquals(stampOrder, ranked, "losers ranked in stamp order");
    for (String rid : List.of("far-0", "near-0", "near-" + (rounds - 1))) {
      assertEquals(OrderState.ORDER_STATE_WAITLISTED, awaitOrder(eventId, rid).getState(), rid);
    }
  }

  static PurchaseRequest purchase(String eventId, String rid) {
    return PurchaseRequest.newBuilder().setEventId(eventId).setUserId("user-" + rid).setRequestId(rid).setQuantity(1).build();
  }

  static PurchaseResponse buy(String region, String eventId, String rid) {
    return fx.buyer(region).withDeadlineAfter(20, TimeUnit.SECONDS).purchase(purchase(eventId, rid));
  }

  @Test
  void unpaidAndCancelledUnitsPassToTheNextLosersInGlobalOrderAndAllEndPaid() throws Exception {
    String eventId = "pay1";
    createEvent(eventId, STOCK, WINDOW_MS);
    burst(eventId, BUYERS);
    List<Decision> ranked = fx.store.loadLedger(eventId).decisions();
    List<String> winners = ranked.stream().filter(Decision::won).map(Decision::requestId).toList();
    List<String> soldOutLosers = ranked.stream().filter(d -> d.lossReason() == LossReason.SOLD_OUT)
        .map(Decision::requestId).toList();
    assertEquals(STOCK, winners.size());
    assertEquals(BUYERS - STOCK, soldOutLosers.size());
    List<String> neverPay = winners.subList(0, 30);
    List<String> cancel = winners.subList(30, 40);
    inParallel(cancel, rid -> assertEquals(OrderState.ORDER_STATE_CANCELLED, orderService().cancelPurchase(
        CancelPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(rid).build()).getOrder().getState()));
    inParallel(winners.subList(40, STOCK), rid -> assertEquals(OrderState.ORDER_STATE_PAID, confirm(eventId, rid).getState()));
    for (String w : neverPay) assertEquals(OrderState.ORDER_STATE_AWAITING_PAYMENT, awaitOrder(eventId, w).getState());
    assertEquals(OrderState.ORDER_STATE_PAID, confirm(eventId, winners.get(40)).getState(), "a repeat answers the same");

    // The 10 cancelled units went to the first 10 losers; pay them as they are promoted.
    Set<String> promoted = new HashSet<>();
    long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WINDOW_MS * 3);
    while (promoted.size() < 40 && System.nanoTime() < endNanos) {
      List<String> due = awaitingPayment(eventId).stream().filter(rid -> !winners.contains(rid)).toList();
      inParallel(due, rid -> assertEquals(OrderState.ORDER_STATE_PAID, confirm(eventId, rid).getState()));
      promoted.addAll(due);
      Thread.sleep(20);
    }
    assertEquals(Set.copyOf(soldOutLosers.subList(0, 40)), promoted, "the next 40 losers in global order, no one else");
    // Every unit is paid now and nobody awaits payment: no unit can come back, so the rest of the
    // waitlist is told its wait is over rather than left waiting for good.
    for (String rid : soldOutLosers.subList(40, 60)) {
      assertEquals(OrderState.ORDER_STATE_WAITLIST_CLOSED, order(eventId, rid).getState());
    }

    // The 30 that never paid are expired: a late confirm is refused, never accepted.
    StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () -> confirm(eventId, neverPay.get(0)));
    assertEquals(Status.Code.FAILED_PRECONDITION, late.getStatus().getCode());
    assertEquals("PAYMENT_EXPIRED", Errors.reasonOf(late).orElseThrow());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> confirm(eventId, "never-sent"));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    StatusRuntimeException beyondWaitlist = assertThrows(StatusRuntimeException.class,
        () -> confirm(eventId, soldOutLosers.get(soldOutLosers.size() - 1)));
    assertEquals("NOT_A_WIN", Errors.reasonOf(beyondWaitlist).orElseThrow());

    var snapshot = orders.loadOrders(eventId);
    long paid = snapshot.orders().stream().filter(o -> o.state() == flashsale.orders.PurchaseState.PAID)
        .mapToLong(flashsale.orders.OrderRecord::quantity).sum();
    assertEquals(STOCK, paid, "every unit paid");
    assertEquals(0, snapshot.freeUnits());

    List<OrderTransition> transitions = orders.readTransitions(eventId);
    assertEquals(Map.of(Kind.CANCELLED, 10L, Kind.EXPIRED, 30L, Kind.PROMOTED, 40L, Kind.PAID, 100L,
            Kind.WAITLIST_CLOSED, 2L * STOCK - 40), // the waitlist held twice the stock; 40 were promoted
        transitions.stream().collect(java.util.stream.Collectors.groupingBy(OrderTransition::kind,
            java.util.stream.Collectors.counting())));
    assertConsumerGroupReadsEachOnceInOrder(eventId, transitions);
  }

  /** The purchases awaiting payment, as the store holds them (the test's own read). */
  static List<String> awaitingPayment(String eventId) {
    return orders.loadOrders(eventId).orders().stream()
        .filter(o -> o.state() == flashsale.orders.PurchaseState.AWAITING_PAYMENT).map(o -> o.requestId()).toList();
  }

  /** An order service reading the outbox with a consumer group (two consumers) sees each entry once, in stream order. */
  static void assertConsumerGroupReadsEachOnceInOrder(String eventId, List<OrderTransition> expected) {
    RedisClient client = RedisClient.create(fx.redis.uri());
    try (var connection = client.connect()) {
      var redis = connection.sync();
      String stream = "fs:{" + eventId + "}:outbox";
      redis.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), "orders", new XGroupCreateArgs().mkstream(true));
      List<StreamMessage<String, String>> read = new ArrayList<>();
      for (int turn = 0; ; turn++) {
        var page = redis.xreadgroup(Consumer.from("orders", "c" + (turn % 2)), new XReadArgs().count(37),
            XReadArgs.StreamOffset.lastConsumed(stream));
        if (page.isEmpty()) break;
        read.addAll(page);
        redis.xack(stream, "orders", page.stream().map(StreamMessage::getId).toArray(String[]::new));
      }
      assertEquals(read.stream().map(StreamMessage::getId).distinct().count(), read.size(), "each entry once");
      List<String> seen = read.stream().filter(m -> m.getBody().containsKey("transition"))
          .map(m -> m.getBody().get("transition") + ":" + m.getBody().get("request_id")).toList();
      assertEquals(expected.stream().map(t -> t.kind() + ":" + t.requestId()).toList(), seen, "every transition, in order");
      long wins = read.stream().filter(m -> !m.getBody().containsKey("transition")).count();
      assertEquals(STOCK, wins, "and the winners before them");
    } finally {
      flashsale.store.redis.RedisConnection.shutDown(client);
    }
  }

  /** A win is recorded before it is told, but the book may be loading: retry briefly on UNAVAILABLE. */
  static Order awaitOrder(String eventId, String rid) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        return order(eventId, rid);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt > 100) throw e;
        Thread.sleep(10);
      }
    }
  }

  static flashsale.v1.PurchaseResponse buy(String eventId, String region, String rid, String user) {
    return fx.buyer(region).withDeadlineAfter(10, TimeUnit.SECONDS).purchase(PurchaseRequest.newBuilder()
        .setEventId(eventId).setUserId(user).setRequestId(rid).setQuantity(1).build());
  }

  /**
   * One user, one share of the line: after the sell-out a user who buys three more times (a limit
   * of 1) gets one waitlist place, not all that the bound (2) allows, and the next user gets the
   * other; its other two purchases are NOT_WAITLISTED at the arbiter and at the region.
   */
  @Test
  void aUserBuyingAgainAfterTheSellOutTakesOnePlaceAndTheNextUserGetsTheOther() throws Exception {
    String eventId = "one-place";
    createEvent(eventId, 1, 60_000);
    assertEquals(flashsale.v1.Outcome.OUTCOME_WON, buy(eventId, "near", "w", "user-w").getDecision().getOutcome());
    for (String rid : List.of("x1", "x2", "x3", "c")) {
      assertEquals(flashsale.v1.Outcome.OUTCOME_LOST,
          buy(eventId, "near", rid, rid.equals("c") ? "user-c" : "user-x").getDecision().getOutcome(), rid);
    }

    assertEquals(OrderState.ORDER_STATE_WAITLISTED, awaitOrder(eventId, "x1").getState());
    assertEquals(OrderState.ORDER_STATE_WAITLISTED, awaitOrder(eventId, "c").getState(), "the second place is c's");
    for (String passedOver : List.of("x2", "x3")) {
      StatusRuntimeException notAWin = assertThrows(StatusRuntimeException.class, () -> awaitOrder(eventId, passedOver));
      assertEquals("NOT_A_WIN", Errors.reasonOf(notAWin).orElseThrow(), passedOver);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      flashsale.v1.GetPurchaseResponse atRegion;
      while (true) {
        atRegion = fx.buyer("far").getPurchase(flashsale.v1.GetPurchaseRequest.newBuilder().setEventId(eventId)
            .setRequestId(passedOver).build());
        if (atRegion.hasOrder() || System.nanoTime() > deadline) break;
        Thread.sleep(10); // the push may still be on its way
      }
      assertEquals(OrderState.ORDER_STATE_NOT_WAITLISTED, atRegion.getOrder().getState(), passedOver + " at a region");
    }
    assertEquals(2, orders.storedWaitlistJoins(eventId));
  }

  @Test
  void theCliCreatesAnEventWithAWindowAndPaysAndCancels() {
    String arbiter = fx.cluster.arbiterTarget();
    var created = CliAgainstClusterTest.flashsale("event", "create", "--target", arbiter, "--event", "cli-pay", "--item", "boots",
        "--stock", "1", "--start", "now", "--end", "+1m", "--regions", "near,far", "--mode", "global-order",
        "--payment-window", "30s", "--waitlist-bound", "5");
    assertEquals(0, created.exitCode(), created.err());
    for (String buyer : List.of("ann", "ben")) {
      fx.buyer("near").withDeadlineAfter(20, TimeUnit.SECONDS).purchase(PurchaseRequest.newBuilder().setEventId("cli-pay")
          .setUserId(buyer).setRequestId(buyer + "-1").setQuantity(1).build());
    }
    var waiting = CliAgainstClusterTest.flashsale("order", "--target", arbiter, "--event", "cli-pay", "ben-1");
    assertTrue(waiting.out().startsWith("WAITLISTED ben-1"), waiting.out() + waiting.err());
    var cancelled = CliAgainstClusterTest.flashsale("cancel", "--target", arbiter, "--event", "cli-pay", "ann-1");
    assertTrue(cancelled.out().startsWith("CANCELLED ann-1"), cancelled.out() + cancelled.err());
    var promoted = CliAgainstClusterTest.flashsale("order", "--target", arbiter, "--event", "cli-pay", "ben-1");
    assertTrue(promoted.out().startsWith("AWAITING_PAYMENT ben-1") && promoted.out().contains("payment deadline"),
        promoted.out() + promoted.err());
    var paid = CliAgainstClusterTest.flashsale("pay", "--target", arbiter, "--event", "cli-pay", "ben-1");
    assertTrue(paid.out().startsWith("PAID ben-1"), paid.out() + paid.err());
    var refused = CliAgainstClusterTest.flashsale("pay", "--target", arbiter, "--event", "cli-pay", "ann-1");
    assertTrue(refused.exitCode() != 0 && refused.err().contains("PURCHASE_CANCELLED"), refused.out() + refused.err());
  }

  @Test
  void paymentsRacingTheDeadlineNeverPayMoreThanStock() throws Exception {
    String eventId = "race1";
    int stock = 150;
    long windowMs = 2_000;
    createEvent(eventId, stock, windowMs);
    burst(eventId, 4 * stock);
    ScheduledRace race = new ScheduledRace(eventId);
    long endNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (race.sent() < 200 && System.nanoTime() < endNanos) {
      for (var o : orders.loadOrders(eventId).orders()) {
        if (race.sent() >= 200) break;
        if (o.state() == flashsale.orders.PurchaseState.AWAITING_PAYMENT && !race.scheduled(o.requestId())) {
          race.schedule(o.requestId(), o.deadlineMicros());
        }
      }
      Thread.sleep(5);
    }
    race.await();
    assertTrue(race.sent() >= 200, "sent " + race.sent());
    var stored = orders.loadOrders(eventId).orders();
    long paid = stored.stream().filter(o -> o.state() == flashsale.orders.PurchaseState.PAID).count();
    long awaiting = stored.stream().filter(o -> o.state() == flashsale.orders.PurchaseState.AWAITING_PAYMENT).count();
    assertTrue(paid + awaiting <= stock, "paid " + paid + " + awaiting " + awaiting + " > stock " + stock);
    for (var o : stored) {
      Boolean accepted = race.answers.get(o.requestId());
      if (accepted == null) continue;
      // What the caller heard is what the store holds: an accepted payment is PAID, a refused one EXPIRED.
      assertEquals(accepted ? flashsale.orders.PurchaseState.PAID : flashsale.orders.PurchaseState.EXPIRED, o.state(),
          o.requestId());
    }
    System.out.printf("payment race: %d confirms within +-5 ms of the deadline, %d accepted, %d refused as expired%n",
        race.answers.size(), race.answers.values().stream().filter(b -> b).count(),
        race.answers.values().stream().filter(b -> !b).count());
    List<Long> trips = race.roundTripsMs.stream().sorted().toList();
    System.out.printf("confirm round trip ms: p50=%d max=%d%n", trips.get(trips.size() / 2), trips.get(trips.size() - 1));
  }

  /** Confirms sent at each deadline plus a random -5..+5 ms, by the wall clock the arbiter also reads. */
  static final class ScheduledRace {
    final String eventId;
    final Map<String, Boolean> answers = new ConcurrentHashMap<>();
    final Set<String> scheduled = ConcurrentHashMap.newKeySet();
    final java.util.concurrent.ScheduledExecutorService timer = Executors.newScheduledThreadPool(8);
    final java.util.Random random = new java.util.Random(15);
    final Map<String, Throwable> failures = new ConcurrentHashMap<>();
    final Map<String, Long> offsetsMs = new ConcurrentHashMap<>();
    final java.util.Queue<Long> roundTripsMs = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(200);

    ScheduledRace(String eventId) {
      this.eventId = eventId;
    }

    int sent() {
      return scheduled.size();
    }

    boolean scheduled(String rid) {
      return scheduled.contains(rid);
    }

    void schedule(String rid, long deadlineMicros) {
      if (scheduled.size() >= 200) return;
      scheduled.add(rid);
      long atMicros = deadlineMicros + (random.nextInt(11) - 5) * 1_000L;
      long delayMicros = Math.max(0, atMicros - System.currentTimeMillis() * 1000);
      timer.schedule(() -> {
        // Asynchronous, so a busy timer thread never delays the next confirm past its moment.
        long sentMicros = System.currentTimeMillis() * 1000;
        var call = OrderServiceGrpc.newFutureStub(fx.channel(fx.cluster.arbiterTarget())).withDeadlineAfter(10, TimeUnit.SECONDS)
            .confirmPayment(ConfirmPaymentRequest.newBuilder().setEventId(eventId).setRequestId(rid).build());
        call.addListener(() -> {
          try {
            call.get();
            answers.put(rid, true);
          } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if ("PAYMENT_EXPIRED".equals(Errors.reasonOf(cause).orElse(""))) answers.put(rid, false);
            else failures.put(rid, cause);
          }
          offsetsMs.put(rid, (sentMicros - deadlineMicros) / 1000);
          roundTripsMs.add(System.currentTimeMillis() - sentMicros / 1000);
          answered.countDown();
        }, Runnable::run);
      }, delayMicros, TimeUnit.MICROSECONDS);
    }

    void await() throws InterruptedException {
      timer.shutdown();
      assertTrue(timer.awaitTermination(20, TimeUnit.SECONDS));
      assertTrue(answered.await(20, TimeUnit.SECONDS), "every racing confirm answered");
      assertEquals(Map.of(), failures);
      assertEquals(scheduled.size(), answers.size(), "every racing confirm was answered PAID or PAYMENT_EXPIRED");
    }
  }
}
