package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static flashsale.region.RegionFixture.assertError;
import static flashsale.region.RegionFixture.event;
import static flashsale.region.RegionFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import flashsale.sale.ErrorReason;
import flashsale.v1.AuctionResult;
import flashsale.v1.AuctionSettings;
import flashsale.v1.BidAnswer;
import flashsale.v1.BidDecision;
import flashsale.v1.DecisionBatch;
import flashsale.v1.EventKind;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Ticket;
import flashsale.v1.WatchAuctionRequest;
import flashsale.v1.WatchAuctionResponse;
import flashsale.wire.Times;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PlaceBid through a real region node against a scripted arbiter: stamped and pending like a purchase. */
class BidFlowTest extends RegionFixtureTest {

  @BeforeEach
  void addEvents() {
    f.arbiter.lookupOnly.put("painting", event("painting", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION))
        .toBuilder().setKind(EventKind.EVENT_KIND_AUCTION).setStock(1).setPerUserLimit(1)
        .setAuction(AuctionSettings.newBuilder().setUnits(1).setReservePriceMinor(1_000).setMinIncrementMinor(50)
            .setCurrencyCode("EUR"))
        .build());
    f.arbiter.lookupOnly.put("shoes", event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION)));
  }

  private static PlaceBidRequest bid(String eventId, String requestId, long amountMinor, String currency) {
    return PlaceBidRequest.newBuilder().setEventId(eventId).setUserId("alice").setRequestId(requestId)
        .setAmountMinor(amountMinor).setCurrencyCode(currency).build();
  }

  @Test
  void aSoftCloseAuctionPastItsEndReadsOpenUntilItsMovedClose() {
    long nowMicros = RegionFixture.micros(java.time.Instant.now());
    var softClose = f.arbiter.lookupOnly.get("painting").toBuilder().setEventId("soft")
        .setEndTime(Times.timestamp(nowMicros - 10_000_000L))
        .setAuction(f.arbiter.lookupOnly.get("painting").getAuction().toBuilder()
            .setSoftCloseWindow(com.google.protobuf.Duration.newBuilder().setSeconds(30))
            .setSoftCloseCap(com.google.protobuf.Duration.newBuilder().setSeconds(600)))
        .build();
    f.arbiter.lookupOnly.put("soft", softClose);
    // Accepted bids moved the close a minute past now: the auction still takes bids.
    var open = AuctionResult.newBuilder().setClosed(false).setCloseTime(Times.timestamp(nowMicros + 60_000_000L)).build();
    f.arbiter.auctionViews.put("soft", open);

    var got = f.blocking().getEvent(flashsale.v1.GetEventRequest.newBuilder().setEventId("soft").build());
    assertEquals(open, got.getAuction());
    assertEquals(flashsale.v1.EventState.EVENT_STATE_OPEN, got.getState(), "past end_time, before the moved close");
  }

  @Test
  void aBidIsStampedSentWithItsAmountAndStaysPendingUntilTheArbiterAnswersIt() throws Exception {
    long before = RegionFixture.micros(java.time.Instant.now());
    var call = f.future().placeBid(bid("painting", "b1", 1_250, "EUR"));
    Ticket t = f.stream.nextTicket();
    assertEquals(List.of("painting", "b1", 1, 1_250L), List.of(t.getEventId(), t.getRequestId(), t.getQuantity(),
        t.getBidAmountMinor()));
    assertEquals(true, t.getArrivalMicros() >= before, "stamped on arrival");
    Thread.sleep(100);
    assertFalse(call.isDone(), "answered before the arbiter judged it");
    PurchaseDecision outbid = PurchaseDecision.newBuilder().setEventId("painting").setRequestId("b1").setUserId("alice")
        .setQuantity(1).setOutcome(Outcome.OUTCOME_LOST).setLossReason(LossReason.LOSS_REASON_BID_NOT_ACCEPTED)
        .setRank(1).setRegion(REGION).setArrivalTime(Times.timestamp(t.getArrivalMicros()))
        .setDecideTime(Times.timestamp(t.getArrivalMicros() + 3_000))
        .setBid(BidDecision.newBuilder().setAnswer(BidAnswer.BID_ANSWER_OUTBID).setAmountMinor(1_250)
            .setAmountToBeatMinor(1_300).setCloseTime(Times.timestamp(t.getArrivalMicros() + 60_000_000L)))
        .build();
    f.stream.send(SequenceResponse.newBuilder().setDecisionBatch(DecisionBatch.newBuilder().addDecisions(outbid)).build());
    PlaceBidResponse answer = call.get(5, TimeUnit.SECONDS);
    assertEquals(BidAnswer.BID_ANSWER_OUTBID, answer.getDecision().getBid().getAnswer());
    assertEquals(1_300, answer.getDecision().getBid().getAmountToBeatMinor());
    assertEquals(answer, f.blocking().placeBid(bid("painting", "b1", 1_250, "EUR")), "a retry gets the same answer");
    assertError(Status.Code.ALREADY_EXISTS, ErrorReason.REQUEST_ID_REUSED,
        () -> f.blocking().placeBid(bid("painting", "b1", 1_400, "EUR")));
    // The same amount in another currency is not a retry, here or at a node that never saw it.
    assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> f.blocking().placeBid(bid("painting", "b1", 1_250, "USD")));
  }

  /**
   * A bid the arbiter ranks without judging it (stamped out of bounds), told as the arbiter tells
   * it: the decision carries the bid's amount, so it completes the pending call (before, it did
   * not match the pending bid and the buyer waited for the deadline).
   */
  @Test
  void aBidRankedUnjudgedIsAnswered() throws Exception {
    var call = f.future().placeBid(bid("painting", "b-back", 1_250, "EUR"));
    Ticket t = f.stream.nextTicket();
    var ticket = flashsale.sale.Ticket.bid("painting", "b-back", "alice", 1_250, REGION, t.getArrivalMicros(), 0);
    var unjudged = new flashsale.sale.Decision(ticket, flashsale.sale.Outcome.LOST,
        flashsale.sale.LossReason.STAMP_OUT_OF_BOUNDS, 1, t.getArrivalMicros() + 3_000, true, false, "",
        java.util.Optional.empty());
    f.stream.send(SequenceResponse.newBuilder().setDecisionBatch(DecisionBatch.newBuilder()
        .addDecisions(flashsale.wire.WireMapping.toProto(unjudged))).build());
    PlaceBidResponse answer = call.get(5, TimeUnit.SECONDS);
    assertEquals(LossReason.LOSS_REASON_STAMP_OUT_OF_BOUNDS, answer.getDecision().getLossReason());
    assertEquals(1_250, answer.getDecision().getBid().getAmountMinor());
    assertEquals(answer, f.blocking().placeBid(bid("painting", "b-back", 1_250, "EUR")), "a retry gets the same answer");
  }

  @Test
  void aWatchOfAnAuctionWhoseResultWasMissedEndsWithItOnceTheRegionIsBackAndANewWatchGetsItAtOnce() throws Exception {
    var auction = f.arbiter.lookupOnly.get("painting").toBuilder().setEventId("brief")
        .setEndTime(flashsale.wire.Times.timestamp(RegionFixture.micros(java.time.Instant.now().plusMillis(1_500)))).build();
    f.arbiter.lookupOnly.put("brief", auction);
    f.arbiter.auctionViews.put("brief", AuctionResult.newBuilder().setClosed(false).setCloseTime(auction.getEndTime()).build());
    Watch watch = watch("brief", 0);
    var watching = watch.views();
    var ended = watch.ended();
    assertEquals(false, watching.poll(5, TimeUnit.SECONDS).getAuction().getClosed());

    Thread.sleep(1_600); // past the close (waiting for the auction to end, not timing anything)
    var result = AuctionResult.newBuilder().setClosed(true).setCloseTime(auction.getEndTime()).build();
    f.arbiter.auctionViews.put("brief", result); // closed while this region's stream was down: it missed the result
    f.stream.breakWith(Status.UNAVAILABLE.withDescription("arbiter restarting"));
    f.arbiter.nextStream(); // welcomed again
    ended.get(5, TimeUnit.SECONDS);
    assertEquals(true, watching.poll(5, TimeUnit.SECONDS).getAuction().getClosed(), "the watch ends with the result");

    var again = f.blocking().watchAuction(WatchAuctionRequest.newBuilder().setEventId("brief").build());
    assertEquals(true, again.next().getAuction().getClosed(), "a new watch gets the result at once");
    assertEquals(false, again.hasNext(), "and ends");
  }

  /**
   * A watcher that stops reading is not queued every change (each may carry every standing bid):
   * when it asks again it is sent the newest view, then the result.
   */
  @Test
  void aWatcherThatStopsReadingIsSentTheNewestViewWhenItAsksAgain() throws Exception {
    long closeMicros = RegionFixture.micros(java.time.Instant.now().plusSeconds(3_600));
    f.arbiter.auctionViews.put("painting", AuctionResult.newBuilder().setClosed(false)
        .setCloseTime(Times.timestamp(closeMicros)).build());
    Watch watch = watch("painting", 1); // reads one view, then stops reading
    var watching = watch.views();
    var ended = watch.ended();
    assertEquals(closeMicros, Times.micros(watching.poll(5, TimeUnit.SECONDS).getAuction().getCloseTime()));

    // Soft closes moving the close 100 times while the watcher does not read.
    for (int i = 1; i <= 100; i++) {
      f.stream.send(SequenceResponse.newBuilder().setAuctionUpdate(flashsale.v1.AuctionUpdate.newBuilder()
          .setEventId("painting").setResult(AuctionResult.newBuilder().setClosed(false)
              .setCloseTime(Times.timestamp(closeMicros + i * 1_000_000L)))).build());
    }
    var result = AuctionResult.newBuilder().setClosed(true).setCloseTime(Times.timestamp(closeMicros + 100_000_000L))
        .build();
    Thread.sleep(300); // the updates reach the region's loop (waiting for them, not timing anything)
    assertEquals(null, watching.poll(), "nothing is sent to a watcher that asked for nothing");

    watch.call().request(1);
    assertEquals(closeMicros + 100_000_000L, Times.micros(watching.poll(5, TimeUnit.SECONDS).getAuction().getCloseTime()),
        "the newest view, not the next");
    f.stream.send(SequenceResponse.newBuilder().setAuctionClosed(flashsale.v1.AuctionClosed.newBuilder()
        .setEventId("painting").setResult(result)).build());
    Thread.sleep(300);
    assertEquals(null, watching.poll(), "the result waits for the watcher too");
    watch.call().request(10);
    assertEquals(result, watching.poll(5, TimeUnit.SECONDS).getAuction());
    ended.get(5, TimeUnit.SECONDS);
    assertEquals(null, watching.poll(), "one view per read: the 99 in between were never sent");
  }

  @Test
  void badBidsAreInvalidArgumentsAndTheWrongKindOfEventIsAFailedPrecondition() throws Exception {
    for (long amount : new long[] {0, -5, flashsale.sale.AuctionRules.MAX_AMOUNT_MINOR + 1, Long.MAX_VALUE}) {
      StatusRuntimeException e = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
          () -> f.blocking().placeBid(bid("painting", "x" + amount, amount, "EUR")));
      assertEquals(true, e.getStatus().getDescription().contains("amount_minor"), e.toString());
    }
    StatusRuntimeException currency = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> f.blocking().placeBid(bid("painting", "usd", 1_250, "USD")));
    assertEquals(true, currency.getStatus().getDescription().contains("must be EUR"), currency.toString());
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.WRONG_EVENT_KIND,
        () -> f.blocking().placeBid(bid("shoes", "on-a-sale", 1_250, "EUR")));
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.WRONG_EVENT_KIND,
        () -> f.blocking().purchase(request("painting", "alice", "buy-it-now", 1)));
  }

  /** An open WatchAuction: the views it was sent, its end, and its call to ask for more on. */
  private record Watch(LinkedBlockingQueue<WatchAuctionResponse> views, java.util.concurrent.CompletableFuture<Void> ended,
      io.grpc.stub.ClientCallStreamObserver<WatchAuctionRequest> call) {}

  /** Watches {@code eventId}, asking for {@code initialViews} views first, or for every one when 0. */
  private Watch watch(String eventId, int initialViews) {
    var views = new LinkedBlockingQueue<WatchAuctionResponse>();
    var ended = new java.util.concurrent.CompletableFuture<Void>();
    var call = new java.util.concurrent.CompletableFuture<io.grpc.stub.ClientCallStreamObserver<WatchAuctionRequest>>();
    f.async().withDeadlineAfter(30, TimeUnit.SECONDS).watchAuction(WatchAuctionRequest.newBuilder().setEventId(eventId).build(),
        new io.grpc.stub.ClientResponseObserver<WatchAuctionRequest, WatchAuctionResponse>() {
          @Override
          public void beforeStart(io.grpc.stub.ClientCallStreamObserver<WatchAuctionRequest> started) {
            if (initialViews > 0) started.disableAutoRequestWithInitial(initialViews);
            call.complete(started);
          }

          @Override
          public void onNext(WatchAuctionResponse value) {
            views.add(value);
          }

          @Override
          public void onError(Throwable t) {
            ended.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        });
    return new Watch(views, ended, call.join());
  }
}
