package flashsale.region;

import static flashsale.region.RegionFixture.decision;
import static flashsale.region.RegionFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.DecisionBatch;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseState;
import flashsale.v1.SequenceResponse;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import flashsale.v1.Ticket;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many purchases on one StreamPurchases stream, through a real region node against a scripted arbiter. */
class StreamPurchasesFlowTest extends RegionFixtureTest {

  /** The client's end of one stream: what it received, and whether the server ended it. */
  private static final class Buyer implements ClientResponseObserver<StreamPurchasesRequest, StreamPurchasesResponse> {
    final BlockingQueue<StreamPurchasesResponse> answers = new LinkedBlockingQueue<>();
    final CountDownLatch ended = new CountDownLatch(1);
    volatile Throwable error;
    ClientCallStreamObserver<StreamPurchasesRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<StreamPurchasesRequest> requestStream) {
      this.requests = requestStream;
    }

    void send(PurchaseRequest purchase) {
      requests.onNext(StreamPurchasesRequest.newBuilder().setPurchase(purchase).build());
    }

    StreamPurchasesResponse next() throws InterruptedException {
      StreamPurchasesResponse answer = answers.poll(5, TimeUnit.SECONDS);
      assertNotNull(answer, "no answer on the stream within 5 s");
      return answer;
    }

    @Override
    public void onNext(StreamPurchasesResponse value) {
      answers.add(value);
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

  private Buyer open() {
    Buyer buyer = new Buyer();
    FlashSaleServiceGrpc.newStub(f.client).withDeadlineAfter(30, TimeUnit.SECONDS).streamPurchases(buyer);
    return buyer;
  }

  private void decide(PurchaseDecision... decisions) {
    f.stream.send(SequenceResponse.newBuilder()
        .setDecisionBatch(DecisionBatch.newBuilder().addAllDecisions(List.of(decisions))).build());
  }

  @Test
  void eachPurchaseIsAnsweredWithItsOwnDecisionAndTheStreamEndsOnceAllAre() throws Exception {
    Buyer buyer = open();
    buyer.send(request("shoes", "alice", "r1", 1));
    buyer.send(request("shoes", "bob", "r2", 2));
    buyer.send(request("shoes", "carol", "r3", 1));
    Map<String, Ticket> tickets = new java.util.HashMap<>();
    for (int i = 0; i < 3; i++) {
      Ticket t = f.stream.nextTicket();
      tickets.put(t.getRequestId(), t);
    }
    assertEquals(Set.of("r1", "r2", "r3"), tickets.keySet());
    assertEquals(List.of("bob", 2), List.of(tickets.get("r2").getUserId(), tickets.get("r2").getQuantity()));
    buyer.requests.onCompleted(); // half-closed with all three pending: the stream stays open for their answers

    decide(decision(tickets.get("r2"), true, 1));
    StreamPurchasesResponse first = buyer.next();
    assertEquals("r2", first.getRequestId(), "answered in decision order");
    assertEquals(Outcome.OUTCOME_WON, first.getDecision().getOutcome());
    assertEquals("bob", first.getDecision().getUserId());
    assertFalse(buyer.ended.await(100, TimeUnit.MILLISECONDS), "ended with two purchases unanswered");

    decide(decision(tickets.get("r1"), true, 2), decision(tickets.get("r3"), false, 3));
    Map<String, PurchaseDecision> rest = new java.util.HashMap<>();
    for (int i = 0; i < 2; i++) {
      StreamPurchasesResponse answer = buyer.next();
      rest.put(answer.getRequestId(), answer.getDecision());
    }
    assertEquals(Outcome.OUTCOME_WON, rest.get("r1").getOutcome());
    assertEquals(Outcome.OUTCOME_LOST, rest.get("r3").getOutcome());
    assertTrue(buyer.ended.await(5, TimeUnit.SECONDS), "the stream ends once every purchase is answered");
    assertNull(buyer.error, () -> "ended with " + buyer.error);
    assertTrue(buyer.answers.isEmpty(), "each purchase answered once: " + buyer.answers);
  }

  @Test
  void aBidOnTheStreamIsStampedAndAnsweredAsAPlaceBidCallIsAndAMessageWithBothOrNeitherIsRefused() throws Exception {
    f.arbiter.lookupOnly.put("painting", RegionFixture.event("painting", java.time.Duration.ofHours(-1),
            java.time.Duration.ofHours(1), List.of(RegionFixture.REGION)).toBuilder()
        .setKind(flashsale.v1.EventKind.EVENT_KIND_AUCTION).setStock(1).setPerUserLimit(1)
        .setAuction(flashsale.v1.AuctionSettings.newBuilder().setUnits(1).setReservePriceMinor(1_000)
            .setMinIncrementMinor(50).setCurrencyCode("EUR"))
        .build());
    PlaceBidRequest bid = PlaceBidRequest.newBuilder().setEventId("painting").setUserId("alice").setRequestId("b1")
        .setAmountMinor(1_250).setCurrencyCode("EUR").build();
    Buyer buyer = open();
    buyer.requests.onNext(StreamPurchasesRequest.newBuilder().setBid(bid).build());
    Ticket t = f.stream.nextTicket();
    assertEquals(List.of("painting", "b1", 1_250L), List.of(t.getEventId(), t.getRequestId(), t.getBidAmountMinor()));

    buyer.requests.onNext(StreamPurchasesRequest.newBuilder().setBid(bid.toBuilder().setRequestId("both"))
        .setPurchase(request("shoes", "alice", "both", 1)).build());
    buyer.requests.onNext(StreamPurchasesRequest.getDefaultInstance());
    for (int i = 0; i < 2; i++) {
      StreamPurchasesResponse refused = buyer.next();
      assertEquals(Status.Code.INVALID_ARGUMENT.value(), refused.getError().getCode(), refused.toString());
      assertEquals(ErrorReason.INVALID_FIELD.name(), refused.getError().getReason(), refused.toString());
    }

    PurchaseDecision outbid = PurchaseDecision.newBuilder().setEventId("painting").setRequestId("b1").setUserId("alice")
        .setQuantity(1).setOutcome(Outcome.OUTCOME_LOST).setLossReason(flashsale.v1.LossReason.LOSS_REASON_BID_NOT_ACCEPTED)
        .setRank(1).setRegion(RegionFixture.REGION).setArrivalTime(flashsale.wire.Times.timestamp(t.getArrivalMicros()))
        .setDecideTime(flashsale.wire.Times.timestamp(t.getArrivalMicros() + 3_000))
        .setBid(flashsale.v1.BidDecision.newBuilder().setAnswer(flashsale.v1.BidAnswer.BID_ANSWER_OUTBID)
            .setAmountMinor(1_250).setAmountToBeatMinor(1_300))
        .build();
    decide(outbid);
    StreamPurchasesResponse answered = buyer.next();
    assertEquals("b1", answered.getRequestId());
    assertEquals(flashsale.v1.BidAnswer.BID_ANSWER_OUTBID, answered.getDecision().getBid().getAnswer());
    assertEquals(answered.getDecision(), f.blocking().placeBid(bid).getDecision(), "a PlaceBid retry: the same answer");
    buyer.requests.onCompleted();
    assertTrue(buyer.ended.await(5, TimeUnit.SECONDS));
    assertNull(buyer.error);
  }

  @Test
  void aRefusedPurchaseIsAnsweredWithItsErrorAndTheStreamGoesOn() throws Exception {
    Buyer buyer = open();
    buyer.send(request("shoes", "alice", "bad", 0)); // quantity 0: Purchase answers INVALID_ARGUMENT
    StreamPurchasesResponse refused = buyer.next();
    assertEquals("bad", refused.getRequestId());
    assertEquals(Status.Code.INVALID_ARGUMENT.value(), refused.getError().getCode(), refused.toString());
    assertEquals(ErrorReason.INVALID_FIELD.name(), refused.getError().getReason(), refused.toString());
    assertFalse(refused.hasDecision());

    buyer.send(request("nope", "alice", "unknown-event", 1));
    StreamPurchasesResponse unknown = buyer.next();
    assertEquals(Status.Code.NOT_FOUND.value(), unknown.getError().getCode(), unknown.toString());
    assertEquals(ErrorReason.EVENT_NOT_FOUND.name(), unknown.getError().getReason());

    buyer.send(request("shoes", "alice", "good", 1));
    Ticket t = f.stream.nextTicket();
    assertEquals("good", t.getRequestId());
    decide(decision(t, true, 1));
    StreamPurchasesResponse won = buyer.next();
    assertEquals("good", won.getRequestId());
    assertEquals(Outcome.OUTCOME_WON, won.getDecision().getOutcome());
    assertEquals(1, buyer.ended.getCount(), "a refused purchase does not end the stream");
    buyer.requests.onCompleted();
    assertTrue(buyer.ended.await(5, TimeUnit.SECONDS));
    assertNull(buyer.error);
    // The stream call ends OK; its answers are counted by code, for the alert on UNAVAILABLE ones.
    assertEquals(Map.of("INVALID_ARGUMENT", 1.0, "NOT_FOUND", 1.0, "OK", 1.0), streamAnswersByCode());
  }

  private Map<String, Double> streamAnswersByCode() {
    Map<String, Double> counts = new java.util.TreeMap<>();
    for (var counter : f.region.metrics().find("flashsale_purchase_answers").tag("method", "StreamPurchases").counters()) {
      if (counter.count() > 0) counts.put(counter.getId().getTag("status_code"), counter.count());
    }
    return counts;
  }

  @Test
  void aRetryOnTheStreamGetsTheCallsDecisionAndAReusedIdIsRefused() throws Exception {
    var call = f.purchase("shoes", "alice", "r1", 1);
    Ticket t = f.stream.nextTicket();
    Buyer buyer = open();
    buyer.send(request("shoes", "alice", "r1", 1)); // the same purchase again
    buyer.send(request("shoes", "mallory", "r1", 1)); // the same id, other content
    StreamPurchasesResponse reused = buyer.next();
    assertEquals(Status.Code.ALREADY_EXISTS.value(), reused.getError().getCode(), reused.toString());
    assertEquals(ErrorReason.REQUEST_ID_REUSED.name(), reused.getError().getReason());

    decide(decision(t, true, 1));
    PurchaseDecision byCall = call.get(5, TimeUnit.SECONDS).getDecision();
    StreamPurchasesResponse byStream = buyer.next();
    assertEquals(byCall, byStream.getDecision(), "one purchase, one decision, however it was asked");
    assertNull(f.stream.pollTicket(200), "a retry is never a second ticket");
    buyer.requests.onCompleted();
    assertTrue(buyer.ended.await(5, TimeUnit.SECONDS));
  }

  @Test
  void cancellingTheStreamLeavesItsPurchasesPendingForALookUp() throws Exception {
    Buyer buyer = open();
    buyer.send(request("shoes", "alice", "r1", 1));
    Ticket t = f.stream.nextTicket();
    buyer.requests.cancel("the backend restarts", null);
    assertTrue(buyer.ended.await(5, TimeUnit.SECONDS));
    var lookup = GetPurchaseRequest.newBuilder().setEventId("shoes").setRequestId("r1").build();
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, f.blocking().getPurchase(lookup).getState());

    decide(decision(t, true, 1));
    RegionFixture.await("decided", () -> f.blocking().getPurchase(lookup).getState() == PurchaseState.PURCHASE_STATE_DECIDED);
    assertEquals(Outcome.OUTCOME_WON, f.blocking().getPurchase(lookup).getDecision().getOutcome());

    // The node goes on serving streams.
    Buyer next = open();
    next.send(request("shoes", "alice", "r1", 1));
    assertEquals(Outcome.OUTCOME_WON, next.next().getDecision().getOutcome(), "a retry on a new stream: the same decision");
    assertNull(f.stream.pollTicket(200));
  }

  @Test
  void manyPurchasesOnOneStreamAreEachAnsweredOnce() throws Exception {
    int purchases = 500;
    Buyer buyer = open();
    for (int i = 0; i < purchases; i++) buyer.send(request("shoes", "u" + i, "m" + i, 1));
    buyer.requests.onCompleted();
    DecisionBatch.Builder batch = DecisionBatch.newBuilder();
    for (int i = 0; i < purchases; i++) batch.addDecisions(decision(f.stream.nextTicket(), i < 100, i + 1));
    f.stream.send(SequenceResponse.newBuilder().setDecisionBatch(batch).build());
    Set<String> answered = new HashSet<>();
    int won = 0;
    for (int i = 0; i < purchases; i++) {
      StreamPurchasesResponse answer = buyer.next();
      assertTrue(answered.add(answer.getRequestId()), "answered twice: " + answer.getRequestId());
      if (answer.getDecision().getOutcome() == Outcome.OUTCOME_WON) won++;
    }
    assertEquals(100, won);
    assertTrue(buyer.ended.await(5, TimeUnit.SECONDS));
    assertNull(buyer.error);
  }

  /**
   * One client resending a pending purchase without end: a few copies wait for its decision, the
   * rest are turned away at once (RESOURCE_EXHAUSTED, retry later with the same id), so neither the
   * node's memory nor the work of answering them grows with the resends.
   */
  @Test
  void aPendingPurchaseSentAgainAndAgainIsWaitedForByAFewCallsAndTheRestAreTurnedAway() throws Exception {
    int copies = 1_000;
    Buyer buyer = open();
    for (int i = 0; i < copies; i++) buyer.send(request("shoes", "alice", "r1", 1));
    Ticket ticket = f.stream.nextTicket();
    int turnedAway = copies - 16; // CallRegistry.MAX_CALLS_PER_PURCHASE wait: the first and 15 joins
    for (int i = 0; i < turnedAway; i++) {
      StreamPurchasesResponse answer = buyer.next();
      assertEquals("r1", answer.getRequestId());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED.value(), answer.getError().getCode(), answer.toString());
      assertEquals(ErrorReason.TOO_MANY_PENDING.name(), answer.getError().getReason());
      assertTrue(answer.getError().hasRetryDelay(), answer.toString());
    }
    assertNull(buyer.answers.poll(200, TimeUnit.MILLISECONDS), "the 16 that wait are not answered before the decision");

    decide(decision(ticket, true, 1));
    for (int i = 0; i < 16; i++) assertEquals(Outcome.OUTCOME_WON, buyer.next().getDecision().getOutcome());
    assertNull(f.stream.pollTicket(200), "one ticket for all the copies");
  }

  /** A stream that went away takes no place from its buyer's next try: its copies are nobody's to answer. */
  @Test
  void theCopiesOfAStreamThatEndedLeaveTheirPlacesToTheBuyersRetry() throws Exception {
    Buyer gone = open();
    for (int i = 0; i < 16; i++) gone.send(request("shoes", "alice", "r1", 1));
    Ticket ticket = f.stream.nextTicket();
    assertNull(gone.answers.poll(200, TimeUnit.MILLISECONDS), "all 16 wait");
    gone.requests.cancel("the client went away", null);
    Thread.sleep(200); // the cancel reaches the node (waiting for it, not timing anything)

    var retry = f.purchase("shoes", "alice", "r1", 1);
    Thread.sleep(200);
    assertFalse(retry.isDone(), "the retry waits for the decision, not refused for the gone stream's copies");
    decide(decision(ticket, true, 1));
    assertEquals(Outcome.OUTCOME_WON, retry.get(5, TimeUnit.SECONDS).getDecision().getOutcome());
  }
}
