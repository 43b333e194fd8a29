package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static flashsale.region.RegionFixture.assertError;
import static flashsale.region.RegionFixture.event;
import static flashsale.region.RegionFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import flashsale.sale.ErrorReason;
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
import flashsale.wire.Times;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
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
}
