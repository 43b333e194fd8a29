package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.fakes.FakeCluster;
import flashsale.v1.Event;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FlashSaleClientTest {
  private final FakeCluster cluster = new FakeCluster();
  private ManagedChannel region;
  private ManagedChannel arbiter;

  @BeforeEach
  void start() throws Exception {
    region = FlashSaleChannels.forTarget(cluster.startRegion("near"));
    arbiter = FlashSaleChannels.forTarget(cluster.startArbiter());
    cluster.ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(1).build());
  }

  @AfterEach
  void stop() throws Exception {
    region.shutdownNow();
    arbiter.shutdownNow();
    cluster.close();
  }

  @Test
  void purchaseReturnsTheDecisionAndARetryReturnsTheSameOne() {
    FlashSaleClient client = new FlashSaleClient(region);

    PurchaseResult first = client.purchase("shoes", "alice", "req-1", 1);
    PurchaseResult retry = client.purchase("shoes", "alice", "req-1", 1);
    PurchaseResult other = client.purchase("shoes", "bob", 1);

    PurchaseResult.Decided decided = assertInstanceOf(PurchaseResult.Decided.class, first);
    assertTrue(decided.won());
    assertEquals(first, retry);
    PurchaseDecision lost = ((PurchaseResult.Decided) other).decision();
    assertEquals(LossReason.LOSS_REASON_SOLD_OUT, lost.getLossReason());
    assertEquals(36, other.requestId().length(), "a generated request id is a UUID");
  }

  @Test
  void deadlineFallsBackToGetPurchaseWithTheSameRequestId() {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("slow").setStock(1).build());
    cluster.ledger.hold("slow");
    FlashSaleClient client = new FlashSaleClient(region, Duration.ofMillis(100));

    PurchaseResult blocking = client.purchase("slow", "alice", "req-slow", 1);
    PurchaseResult async = client.purchaseAsync("slow", "bob", "req-slow-2", 1).join();

    PurchaseResult.Pending pending = assertInstanceOf(PurchaseResult.Pending.class, blocking);
    assertEquals("req-slow", pending.requestId());
    assertTrue(pending.arrivalTime().isPresent());
    assertInstanceOf(PurchaseResult.Pending.class, async);
  }

  @Test
  void aDeadlinePassedBeforeTheRegionHadThePurchaseIsAnUnknownOutcomeNotARefusal() {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("lost-in-transit").setStock(1).build());
    cluster.ledger.drop("lost-in-transit");
    FlashSaleClient client = new FlashSaleClient(region, Duration.ofMillis(100));

    var blocking = assertThrows(FlashSaleException.class, () -> client.purchase("lost-in-transit", "alice", "req-t", 1));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, blocking.code(), blocking.toString());
    assertTrue(blocking.getMessage().contains("retry with the same request id"), blocking.getMessage());
    var async = assertThrows(java.util.concurrent.CompletionException.class,
        () -> client.purchaseAsync("lost-in-transit", "bob", "req-t2", 1).join());
    assertEquals(Status.Code.DEADLINE_EXCEEDED, FlashSaleException.from(async).code(), async.toString());

    cluster.ledger.failNextLookUps(1); // the look-up itself is refused: still an unknown outcome, not a refusal
    var lookUpRefused = assertThrows(FlashSaleException.class, () -> client.purchase("lost-in-transit", "cy", "req-t3", 1));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, lookUpRefused.code(), lookUpRefused.toString());
  }

  @Test
  void aLookUpThatFailsOtherwiseAfterTheDeadlineLeavesTheOutcomeUnknownNotARefusal() {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("lost-in-transit").setStock(1).build());
    cluster.ledger.drop("lost-in-transit");
    FlashSaleClient client = new FlashSaleClient(region, Duration.ofMillis(100));
    cluster.ledger.failNextLookUps(2, Status.INTERNAL.withDescription("the look-up broke"));

    var blocking = assertThrows(FlashSaleException.class, () -> client.purchase("lost-in-transit", "alice", "req-i", 1));
    var async = assertThrows(CompletionException.class, () -> client.purchaseAsync("lost-in-transit", "bob", "req-i2", 1).join());

    assertEquals(Status.Code.DEADLINE_EXCEEDED, blocking.code(), blocking.toString());
    assertTrue(blocking.getMessage().contains("retry with the same request id"), blocking.getMessage());
    assertEquals(Status.Code.INTERNAL, assertInstanceOf(FlashSaleException.class, blocking.getSuppressed()[0]).code(),
        "the look-up's failure is attached");
    assertEquals(Status.Code.DEADLINE_EXCEEDED, FlashSaleException.from(async).code(), async.toString());
  }

  @Test
  void aFailedPurchaseCarriesItsRequestIdSoARetryUnderAGeneratedIdIsTheSamePurchase() {
    FlashSaleClient client = new FlashSaleClient(region);
    cluster.ledger.failNextPurchases(1_000); // more than the channel's own retries

    var unreachable = assertThrows(FlashSaleException.class, () -> client.purchase("shoes", "alice", 1));
    assertEquals(Status.Code.UNAVAILABLE, unreachable.code(), unreachable.toString());
    String requestId = unreachable.requestId().orElseThrow();
    cluster.ledger.failNextPurchases(0);
    PurchaseResult retried = client.purchase("shoes", "alice", requestId, 1);

    assertEquals(requestId, retried.requestId());
    assertTrue(((PurchaseResult.Decided) retried).won());
    assertEquals(retried, client.purchase("shoes", "alice", requestId, 1), "the same id again: the same decision");
    assertEquals(java.util.Optional.of("r-async"), FlashSaleException.from(assertThrows(CompletionException.class,
        () -> client.purchaseAsync("nope", "alice", "r-async", 1).join())).requestId());
    assertEquals(java.util.Optional.of("b-1"), assertThrows(FlashSaleException.class,
        () -> client.bid("nope", "alice", "b-1", 100, "EUR")).requestId());
    cluster.ledger.addEvent(Event.newBuilder().setEventId("lost-in-transit").setStock(1).build());
    cluster.ledger.drop("lost-in-transit");
    var unknown = assertThrows(FlashSaleException.class,
        () -> new FlashSaleClient(region, Duration.ofMillis(100)).purchase("lost-in-transit", "bob", 1));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, unknown.code(), unknown.toString());
    assertEquals(36, unknown.requestId().orElseThrow().length(), "the generated id, for the retry");
  }

  @Test
  void rawFutureCallReturnsTheResponse() throws Exception {
    PurchaseRequest request = PurchaseRequest.newBuilder()
        .setEventId("shoes").setUserId("alice").setRequestId("req-f").setQuantity(1).build();

    PurchaseResponse response = new FlashSaleClient(region).purchaseFuture(request).get();

    assertEquals("req-f", response.getDecision().getRequestId());
    assertEquals(Outcome.OUTCOME_WON, response.getDecision().getOutcome());
  }

  @Test
  void unavailableIsRetriedByTheServiceConfig() {
    cluster.ledger.failNextPurchases(2);

    PurchaseResult result = new FlashSaleClient(region).purchase("shoes", "alice", "req-r", 1);

    assertTrue(((PurchaseResult.Decided) result).won());
    assertEquals(3, cluster.ledger.purchaseAttempts());
  }

  @Test
  void serverErrorsCarryCodeReasonAndDescription() {
    FlashSaleClient client = new FlashSaleClient(region);

    FlashSaleException blocking = assertThrows(FlashSaleException.class, () -> client.purchase("nope", "alice", 1));
    assertEquals(1, cluster.ledger.purchaseAttempts(), "NOT_FOUND is an answer, not retried");
    CompletionException async = assertThrows(CompletionException.class,
        () -> client.purchaseAsync("nope", "alice", "r", 1).join());

    assertEquals(Status.Code.NOT_FOUND, blocking.code());
    assertEquals("EVENT_NOT_FOUND", blocking.reason().orElseThrow());
    assertEquals("event nope not found", blocking.description());
    assertEquals(blocking.reason(), FlashSaleException.from(async).reason());
  }

  @Test
  void adminClientCreatesIdempotentlyAndPagesThroughDecisions() {
    EventAdminClient admin = new EventAdminClient(arbiter);
    Event event = Event.newBuilder().setEventId("big").setStock(10).build();
    admin.createEvent("create-1", event);
    assertEquals(event, admin.createEvent("create-1", event), "a retry returns the event");
    FlashSaleException exists = assertThrows(FlashSaleException.class, () -> admin.createEvent(event));
    assertEquals("EVENT_EXISTS", exists.reason().orElseThrow());
    assertEquals(36, exists.requestId().orElseThrow().length(), "the generated id, for a retry that returns the event");
    assertEquals(java.util.Optional.of("create-2"), assertThrows(FlashSaleException.class,
        () -> admin.createEvent("create-2", event, Duration.ofMinutes(10), null)).requestId());
    FlashSaleClient client = new FlashSaleClient(region);
    for (int i = 0; i < 25; i++) {
      client.purchase("big", "user-" + i, 1);
    }

    List<PurchaseDecision> decisions = admin.listDecisions("big", 10);

    assertEquals(25, decisions.size());
    for (int i = 0; i < decisions.size(); i++) {
      assertEquals(i + 1, decisions.get(i).getRank());
    }
    assertEquals(3, cluster.admin.listDecisionCalls());
    assertEquals(10, admin.getEvent("big").getCounters().getWins());
    assertEquals(2, admin.listRegions().size());
  }

  @Test
  void watchPurchaseHandsOverEachChangeAndReturnsTheLast() {
    FlashSaleClient client = new FlashSaleClient(region);
    client.purchase("shoes", "alice", "req-1", 1);
    var order = flashsale.v1.Order.newBuilder().setEventId("shoes").setRequestId("req-1").setRank(1);
    cluster.ledger.orderHistory("shoes", "req-1", order.setState(flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT).build(),
        order.setState(flashsale.v1.OrderState.ORDER_STATE_CANCELLED).build());
    List<PurchaseResult> seen = new java.util.ArrayList<>();

    PurchaseResult last = client.watchPurchase("shoes", "req-1", Duration.ofSeconds(5), seen::add);

    assertEquals(List.of(java.util.Optional.of(flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT),
        java.util.Optional.of(flashsale.v1.OrderState.ORDER_STATE_CANCELLED)),
        seen.stream().map(r -> ((PurchaseResult.Decided) r).orderState()).toList());
    assertEquals(seen.get(1), last);
    assertEquals(flashsale.v1.OrderState.ORDER_STATE_CANCELLED,
        ((PurchaseResult.Decided) client.getPurchase("shoes", "req-1")).orderState().orElseThrow(), "GetPurchase agrees");
    FlashSaleException unknown = assertThrows(FlashSaleException.class,
        () -> client.watchPurchase("shoes", "never-sent", Duration.ofSeconds(5), r -> {}));
    assertEquals(Status.Code.NOT_FOUND, unknown.code());
    IllegalStateException stop = assertThrows(IllegalStateException.class, () -> client.watchPurchase("shoes", "req-1",
        Duration.ofSeconds(5), r -> { throw new IllegalStateException("seen enough"); }));
    assertEquals("seen enough", stop.getMessage(), "the caller's own exception ends the watch");
    // Even a gRPC failure of the caller's own (a call it made failing UNAVAILABLE) ends the watch,
    // rather than passing for a cut stream and being swallowed by the reopen.
    List<PurchaseResult> handedOver = new java.util.ArrayList<>();
    var ownCall = assertThrows(io.grpc.StatusRuntimeException.class, () -> client.watchPurchase("shoes", "req-1",
        Duration.ofSeconds(5), r -> {
          handedOver.add(r);
          throw Status.UNAVAILABLE.withDescription("the caller's own call").asRuntimeException();
        }));
    assertEquals("the caller's own call", ownCall.getStatus().getDescription());
    assertEquals(1, handedOver.size());
  }

  @Test
  void aCallStartedInAWatchCallbackOutlivesTheWatch() {
    FlashSaleClient client = new FlashSaleClient(region, Duration.ofMillis(300));
    client.purchase("shoes", "alice", "req-1", 1);
    var order = flashsale.v1.Order.newBuilder().setEventId("shoes").setRequestId("req-1").setRank(1);
    cluster.ledger.orderHistory("shoes", "req-1", order.setState(flashsale.v1.OrderState.ORDER_STATE_CANCELLED).build());
    cluster.ledger.addEvent(Event.newBuilder().setEventId("slow").setStock(1).build());
    cluster.ledger.hold("slow");
    List<java.util.concurrent.CompletableFuture<PurchaseResult>> started = new java.util.ArrayList<>();

    client.watchPurchase("shoes", "req-1", Duration.ofSeconds(5),
        r -> started.add(client.purchaseAsync("slow", "bob", "req-next", 1))); // still pending when the watch ends

    assertInstanceOf(PurchaseResult.Pending.class, started.get(0).join(), "not cancelled with the watch's stream");
  }

  @Test
  void aWatchTheNodeCutsIsOpenedAgainAndNoStateIsHandedOverTwice() {
    FlashSaleClient client = new FlashSaleClient(region);
    client.purchase("shoes", "alice", "req-1", 1);
    var order = flashsale.v1.Order.newBuilder().setEventId("shoes").setRequestId("req-1").setRank(1);
    cluster.ledger.orderHistory("shoes", "req-1", order.setState(flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT).build(),
        order.setState(flashsale.v1.OrderState.ORDER_STATE_PAID).build());
    cluster.ledger.cutNextWatches(2);
    List<PurchaseResult> seen = new java.util.ArrayList<>();

    PurchaseResult last = client.watchPurchase("shoes", "req-1", Duration.ofSeconds(5), seen::add);

    assertEquals(List.of(java.util.Optional.of(flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT),
        java.util.Optional.of(flashsale.v1.OrderState.ORDER_STATE_PAID)),
        seen.stream().map(r -> ((PurchaseResult.Decided) r).orderState()).toList());
    assertEquals(seen.get(1), last);

    cluster.ledger.cutNextWatches(1);
    cluster.ledger.refuseNextWatches(1_000); // more than the channel's own retries of each re-open
    long startNanos = System.nanoTime();
    FlashSaleException down = assertThrows(FlashSaleException.class,
        () -> client.watchPurchase("shoes", "req-1", Duration.ofSeconds(4), r -> {}));
    long tookMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    // Cut, then refused again and again (the node is down): tried again until maxWait, then given up
    // with DEADLINE_EXCEEDED however the last try ended (refused, or out of time).
    assertEquals(Status.Code.DEADLINE_EXCEEDED, down.code(), down.toString());
    assertTrue(tookMs >= 3_500 && tookMs < 10_000, "gave up after " + tookMs + " ms of a 4 s maxWait");
    assertEquals(Status.Code.NOT_FOUND, assertThrows(FlashSaleException.class,
        () -> client.watchPurchase("shoes", "nobody", Duration.ofSeconds(5), r -> {})).code(), "refused, not cut: no retry");
  }

  @Test
  void aBidWatchTheNodeCutsIsOpenedAgainAndFollowedToTheClose() {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("art").setKind(flashsale.v1.EventKind.EVENT_KIND_AUCTION)
        .setAuction(flashsale.v1.AuctionSettings.newBuilder().setUnits(1).setCurrencyCode("EUR")).build());
    FlashSaleClient client = new FlashSaleClient(region);
    PurchaseDecision bid = ((PurchaseResult.Decided) client.bid("art", "alice", "b-1", 500, "EUR")).decision();
    cluster.ledger.cutNextAuctionWatches(2);
    List<BidStanding> seen = new java.util.ArrayList<>();

    BidStanding last = client.watchBid(bid, Duration.ofSeconds(5), now -> {
      seen.add(now);
      if (seen.size() == 1) cluster.ledger.closeAuction("art"); // closes while the node cuts the stream
    });

    assertEquals(List.of(BidStanding.STANDING, BidStanding.WON), seen, "each standing once, across the reopens");
    assertEquals(BidStanding.WON, last);

    cluster.ledger.addEvent(Event.newBuilder().setEventId("vase").setKind(flashsale.v1.EventKind.EVENT_KIND_AUCTION)
        .setAuction(flashsale.v1.AuctionSettings.newBuilder().setUnits(1).setCurrencyCode("EUR")).build());
    PurchaseDecision open = ((PurchaseResult.Decided) client.bid("vase", "bob", "b-2", 500, "EUR")).decision();
    cluster.ledger.cutNextAuctionWatches(1_000); // every stream cut after its first message, the auction never closing
    List<BidStanding> openSeen = new java.util.ArrayList<>();
    long startNanos = System.nanoTime();

    BidStanding notSettled = client.watchBid(open, Duration.ofMillis(1_000), openSeen::add);

    assertEquals(BidStanding.STANDING, notSettled, "maxWait ran out first");
    assertEquals(List.of(BidStanding.STANDING), openSeen);
    assertTrue(System.nanoTime() - startNanos < java.util.concurrent.TimeUnit.SECONDS.toNanos(5),
        "reopened within maxWait, not past it");
  }
}
