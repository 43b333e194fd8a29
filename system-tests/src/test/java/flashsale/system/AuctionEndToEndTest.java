package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.sale.Decision;
import flashsale.v1.AuctionResult;
import flashsale.v1.AuctionSettings;
import flashsale.v1.BidAnswer;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import flashsale.v1.GetEventRequest;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.WinningBid;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Auctions end to end over real gRPC: a near region and a far region 30 ms (one way) from the
 * arbiter on Redis. A far bid stamped just before the close reaches the arbiter after the close
 * and still counts; one stamped just after it never does, however near; a soft close moves the
 * close as the rule says; the result is durable (winners in the outbox) and both regions and the
 * arbiter show it.
 */
class AuctionEndToEndTest {
  static ClusterFixture fx;
  /** When this test sent each bid, by request id (this JVM's clock, the regions' too). */
  static final java.util.Map<String, Long> SENT_MICROS = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", 30, Duration.ZERO)));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  /** An auction open now, closing {@code closeInMs} from now; both regions look it up before any bid. */
  static long createAuction(String eventId, long closeInMs, AuctionSettings.Builder settings) {
    long nowMicros = System.currentTimeMillis() * 1000;
    long closeMicros = nowMicros + closeInMs * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("painting").setStartTime(Times.timestamp(nowMicros))
        .setEndTime(Times.timestamp(closeMicros)).addAllRegions(fx.cluster.regionNames())
        .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).setKind(EventKind.EVENT_KIND_AUCTION).setAuction(settings).build();
    fx.admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
    for (String region : fx.cluster.regionNames()) {
      AuctionResult open = fx.buyer(region).getEvent(GetEventRequest.newBuilder().setEventId(eventId).build()).getAuction();
      assertEquals(closeMicros, Times.micros(open.getCloseTime()), region + " shows the close");
      assertEquals(false, open.getClosed());
    }
    return closeMicros;
  }

  static AuctionSettings.Builder settings(int units) {
    return AuctionSettings.newBuilder().setUnits(units).setReservePriceMinor(1_000).setMinIncrementMinor(50)
        .setCurrencyCode("EUR");
  }

  /** Sends a bid once the wall clock reaches {@code atMicros}: the region stamps it on arrival. */
  static java.util.concurrent.Future<PurchaseDecision> bidAt(long atMicros, String region, String eventId,
      String requestId, long amountMinor) {
    while (System.currentTimeMillis() * 1000 < atMicros) LockSupport.parkNanos(50_000);
    SENT_MICROS.put(requestId, flashsale.sale.Micros.of(java.time.Instant.now()));
    PlaceBidRequest request = PlaceBidRequest.newBuilder().setEventId(eventId).setUserId("u-" + requestId)
        .setRequestId(requestId).setAmountMinor(amountMinor).setCurrencyCode("EUR").build();
    var call = flashsale.v1.FlashSaleServiceGrpc.newFutureStub(fx.channel(fx.cluster.regionTarget(region)))
        .withDeadlineAfter(30, TimeUnit.SECONDS).placeBid(request);
    return com.google.common.util.concurrent.Futures.transform(call, PlaceBidResponse::getDecision,
        com.google.common.util.concurrent.MoreExecutors.directExecutor());
  }

  /** The auction's result once both regions know it closed (told on the stream or on look-up). */
  static AuctionResult awaitClosed(String eventId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    AuctionResult result = null;
    for (String region : fx.cluster.regionNames()) {
      do {
        result = fx.buyer(region).getEvent(GetEventRequest.newBuilder().setEventId(eventId).build()).getAuction();
        if (!result.getClosed()) Thread.sleep(20);
      } while (!result.getClosed() && System.nanoTime() < deadline);
      assertTrue(result.getClosed(), region + " never learnt that " + eventId + " closed");
    }
    assertEquals(result, fx.admin().getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build())
        .getAuction(), "the arbiter shows the same result");
    return result;
  }

  static List<String> winners(AuctionResult result) {
    return result.getWinningBidsList().stream().map(WinningBid::getRequestId).toList();
  }

  @Test
  void aFarBidStampedBeforeTheCloseWinsAgainstANearBidStampedAfterIt() throws Exception {
    // The sends are timed by this test's clock; should one land on the wrong side of the close (a
    // busy machine), the auction proves nothing and another is run.
    for (int attempt = 1; attempt <= 3; attempt++) {
      String eventId = "far-before-close-" + attempt;
      long close = createAuction(eventId, 2_500, settings(1));
      // Standing bids to beat, which also show how long the far region takes to stamp what this test sends.
      long sendToStampMicros = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        String requestId = eventId + "-far-early-" + i;
        PurchaseDecision early = bidAt(close - 600_000 + i * 100_000, "far", eventId, requestId, 1_000 + 50 * i)
            .get(10, TimeUnit.SECONDS);
        assertEquals(BidAnswer.BID_ANSWER_ACCEPTED, early.getBid().getAnswer());
        long lagMicros = Times.micros(early.getArrivalTime()) - SENT_MICROS.get(requestId);
        sendToStampMicros = Math.min(sendToStampMicros, Math.max(0, lagMicros));
      }
      // 5 ms either side of the close (1 ms missed three auctions in a row on a busy CI machine);
      // the near bid still reaches the arbiter about 20 ms before the far one (a 30 ms link).
      var far = bidAt(close - 5_000 - sendToStampMicros, "far", eventId, eventId + "-far-on-time", 1_200);
      var near = bidAt(close + 5_000, "near", eventId, eventId + "-near-late", 5_000);
      PurchaseDecision farAnswer;
      try {
        farAnswer = far.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        System.out.println("far bid stamped at or after the close (" + e.getCause() + "): run again");
        continue;
      }
      long farStamp = Times.micros(farAnswer.getArrivalTime());
      PurchaseDecision nearAnswer = null;
      try {
        nearAnswer = near.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        assertEquals("EVENT_ENDED", Errors.reasonOf((StatusRuntimeException) e.getCause()).orElse(""),
            "a bid stamped after a hard close is refused, however high");
      }
      if (nearAnswer != null) {
        System.out.println("near bid stamped before the close (" + nearAnswer.getArrivalTime() + "): run again");
        continue;
      }
      System.out.printf("far bid stamped %d us before the close (sent %d us before it; send to stamp %d us)%n",
          close - farStamp, close - SENT_MICROS.get(eventId + "-far-on-time"), sendToStampMicros);
      assertTrue(farStamp < close);
      assertEquals(BidAnswer.BID_ANSWER_ACCEPTED, farAnswer.getBid().getAnswer(), farAnswer.toString());

      AuctionResult result = awaitClosed(eventId);
      assertEquals(List.of(eventId + "-far-on-time"), winners(result));
      assertEquals(close, Times.micros(result.getCloseTime()));
      assertEquals(List.of(eventId + "-far-on-time"),
          fx.store.readOutbox(eventId).stream().map(Decision::requestId).toList(), "the winner is in the outbox");
      return;
    }
    throw new AssertionError("three auctions in a row with a bid stamped on the wrong side of the close");
  }

  /**
   * Bids whose calls were opened well before the close and ended after it arrived after the close:
   * refused as any bid stamped then. One sent its HEADERS before the close and its amount after;
   * stamped at its HEADERS (until d11e42b) it was on time, and won, so a bidder could open calls
   * before the close and pick amounts after. The other sent its amount too before the close but
   * its END_STREAM after; stamped at its message it was on time, so a bidder kept the choice to
   * withdraw (reset the call) until after the close.
   */
  @Test
  void bidsWhoseCallsEndAfterTheCloseAreRefusedHoweverEarlyTheyOpened() throws Exception {
    String eventId = "ended-after-close";
    long close = createAuction(eventId, 3_000, settings(1));
    String target = fx.cluster.regionTarget("near");
    int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
    String placeBid = "/" + flashsale.v1.FlashSaleServiceGrpc.getPlaceBidMethod().getFullMethodName();
    try (var amountAfter = flashsale.client.wire.RawGrpcCall.open(port, placeBid);
        var endAfter = flashsale.client.wire.RawGrpcCall.open(port, placeBid)) {
      endAfter.send(sniperBid(eventId, "end-after", 8_000).toByteArray());
      long openedMicros = flashsale.sale.Micros.of(java.time.Instant.now());
      assertTrue(openedMicros < close - 500_000, "both opened well before the close");
      while (System.currentTimeMillis() * 1000 < close + 200_000) LockSupport.parkNanos(1_000_000);
      // The end first: stamps only grow, so a bid stamped after the close ahead of it would push it past the close.
      var endOutcome = endAfter.end(Duration.ofSeconds(10));
      var amountOutcome = amountAfter.finish(sniperBid(eventId, "amount-after", 9_000).toByteArray(), Duration.ofSeconds(10));
      assertEquals("status FAILED_PRECONDITION EVENT_ENDED", amountOutcome.toString(), "amount after the close: "
          + (amountOutcome.answer().isEmpty() ? "" : PlaceBidResponse.parseFrom(amountOutcome.answer())));
      assertEquals("status FAILED_PRECONDITION EVENT_ENDED", endOutcome.toString(), "end after the close: "
          + (endOutcome.answer().isEmpty() ? "" : PlaceBidResponse.parseFrom(endOutcome.answer())));
    }
    assertEquals(List.of(), winners(awaitClosed(eventId)), "no bid won");
  }

  private static PlaceBidRequest sniperBid(String eventId, String name, long amountMinor) {
    return PlaceBidRequest.newBuilder().setEventId(eventId).setUserId("u-" + name).setRequestId(eventId + "-" + name)
        .setAmountMinor(amountMinor).setCurrencyCode("EUR").build();
  }

  @Test
  void aSoftCloseMovesTheCloseByTheWindowForABidStampedWithinIt() throws Exception {
    long windowMicros = 200_000;
    // A bid is sent at a planned time; on a loaded box it may reach its region late, on the wrong
    // side of the close the scenario needs. Then the auction is run again, at most three times.
    for (int attempt = 0; attempt < 3; attempt++) {
      String eventId = "soft-close-" + attempt;
      long close = createAuction(eventId, 1_500, settings(1)
          .setSoftCloseWindow(com.google.protobuf.Duration.newBuilder().setNanos((int) (windowMicros * 1_000)))
          .setSoftCloseCap(com.google.protobuf.Duration.newBuilder().setSeconds(1)));
      var outside = bidAt(close - 600_000, "near", eventId, "outside-window", 1_000);
      var snipe = bidAt(close - 50_000, "far", eventId, "far-snipe", 1_100); // within the window: close + 200 ms
      var afterFirstClose = bidAt(close + 50_000, "near", eventId, "after-first-close", 1_300); // within the new close
      PurchaseDecision outsideAnswer = outside.get(10, TimeUnit.SECONDS);
      PurchaseDecision snipeAnswer = snipe.get(10, TimeUnit.SECONDS);
      PurchaseDecision lateAnswer = afterFirstClose.get(10, TimeUnit.SECONDS);
      long outsideStamp = Times.micros(outsideAnswer.getArrivalTime());
      long snipeStamp = Times.micros(snipeAnswer.getArrivalTime());
      long lateStamp = Times.micros(lateAnswer.getArrivalTime());
      if (outsideStamp >= close - windowMicros || snipeStamp < close - windowMicros || snipeStamp >= close
          || lateStamp < close || lateStamp >= close + windowMicros) {
        System.out.printf("soft close attempt %d: bids stamped %d / %d / %d us from the close, not as planned: run again%n",
            attempt, outsideStamp - close, snipeStamp - close, lateStamp - close);
        continue;
      }
      assertEquals(close, Times.micros(outsideAnswer.getBid().getCloseTime()), "outside the window: the close stays");
      assertEquals(BidAnswer.BID_ANSWER_ACCEPTED, snipeAnswer.getBid().getAnswer());
      assertEquals(close + windowMicros, Times.micros(snipeAnswer.getBid().getCloseTime()), "moved by the window");
      assertEquals(BidAnswer.BID_ANSWER_ACCEPTED, lateAnswer.getBid().getAnswer(), "the close had moved past its stamp");
      long movedAgain = close + 2 * windowMicros; // stamped within the window of the moved close
      assertEquals(movedAgain, Times.micros(lateAnswer.getBid().getCloseTime()));
      var tooLate = bidAt(movedAgain + 20_000, "far", eventId, "after-moved-close", 2_000);
      PurchaseDecision tooLateAnswer = tooLate.get(10, TimeUnit.SECONDS);
      assertEquals(BidAnswer.BID_ANSWER_CLOSED, tooLateAnswer.getBid().getAnswer(), "judged, but after the close");

      AuctionResult result = awaitClosed(eventId);
      assertEquals(List.of("after-first-close"), winners(result));
      assertEquals(movedAgain, Times.micros(result.getCloseTime()));
      return;
    }
    throw new AssertionError("three auctions in a row with a bid stamped on the wrong side of its planned moment");
  }

  @Test
  void aWatcherIsPushedEachChangeOfTheStandingBidsAndTheResultWithoutAsking() throws Exception {
    String eventId = "watched";
    long close = createAuction(eventId, 3_000, settings(1));
    java.util.concurrent.BlockingQueue<AuctionResult> pushed = new java.util.concurrent.LinkedBlockingQueue<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    fx.asyncBuyer("near").withDeadlineAfter(30, TimeUnit.SECONDS).watchAuction(
        flashsale.v1.WatchAuctionRequest.newBuilder().setEventId(eventId).build(), new StreamObserver<>() {
          @Override
          public void onNext(flashsale.v1.WatchAuctionResponse r) {
            pushed.add(r.getAuction());
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
    AuctionResult first = pushed.poll(10, TimeUnit.SECONDS);
    assertEquals(List.of(), winners(first), "nothing stands yet");
    assertEquals(close, Times.micros(first.getCloseTime()));
    long now = System.currentTimeMillis() * 1000;
    assertEquals(BidAnswer.BID_ANSWER_ACCEPTED, bidAt(now, "far", eventId, "w-far", 1_100).get(10, TimeUnit.SECONDS)
        .getBid().getAnswer());
    assertEquals(List.of("w-far"), winners(pushed.poll(10, TimeUnit.SECONDS)), "a far region's bid, pushed to the near");
    assertEquals(BidAnswer.BID_ANSWER_ACCEPTED, bidAt(now, "near", eventId, "w-near", 1_200).get(10, TimeUnit.SECONDS)
        .getBid().getAnswer());
    assertEquals(List.of("w-near"), winners(pushed.poll(10, TimeUnit.SECONDS)));
    ended.get(15, TimeUnit.SECONDS); // the stream ends with the result
    AuctionResult last = pushed.poll(1, TimeUnit.SECONDS);
    assertTrue(last.getClosed(), last.toString());
    assertEquals(List.of("w-near"), winners(last));
    assertEquals(null, pushed.poll(), "nothing after the result");
  }
}
