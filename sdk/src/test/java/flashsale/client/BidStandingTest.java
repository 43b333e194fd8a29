package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Timestamp;
import flashsale.v1.AuctionResult;
import flashsale.v1.BidAnswer;
import flashsale.v1.BidDecision;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.WinningBid;
import org.junit.jupiter.api.Test;

/** A bid's decision says it was accepted; only the auction says whether it still stands, or won. */
class BidStandingTest {
  private static PurchaseDecision bid(String requestId, long amount, long stampSeconds, BidAnswer answer) {
    return PurchaseDecision.newBuilder().setEventId("vase").setRequestId(requestId)
        .setOutcome(answer == BidAnswer.BID_ANSWER_ACCEPTED ? Outcome.OUTCOME_WON : Outcome.OUTCOME_LOST)
        .setArrivalTime(Timestamp.newBuilder().setSeconds(stampSeconds))
        .setBid(BidDecision.newBuilder().setAnswer(answer).setAmountMinor(amount)).build();
  }

  private static WinningBid standing(PurchaseDecision bid) {
    return WinningBid.newBuilder().setRequestId(bid.getRequestId()).setAmountMinor(bid.getBid().getAmountMinor())
        .setArrivalTime(bid.getArrivalTime()).build();
  }

  private static AuctionResult auction(boolean closed, PurchaseDecision... best) {
    var result = AuctionResult.newBuilder().setClosed(closed);
    for (PurchaseDecision b : best) result.addWinningBids(standing(b));
    return result.build();
  }

  private final PurchaseDecision dan = bid("dan", 1_200, 10, BidAnswer.BID_ANSWER_ACCEPTED);
  private final PurchaseDecision eve = bid("eve", 1_300, 20, BidAnswer.BID_ANSWER_ACCEPTED);
  private final PurchaseDecision fay = bid("fay", 1_250, 30, BidAnswer.BID_ANSWER_ACCEPTED);

  @Test
  void anAcceptedBidStandsUntilPushedOutThenWinsOrLosesAtTheClose() {
    assertEquals(BidStanding.STANDING, BidStanding.of(dan, auction(false, dan), 1));
    assertEquals(BidStanding.OUTBID, BidStanding.of(dan, auction(false, eve), 1));
    assertEquals(BidStanding.WON, BidStanding.of(eve, auction(true, eve), 1));
    assertEquals(BidStanding.LOST_AT_CLOSE, BidStanding.of(dan, auction(true, eve), 1), "its decision still says WON");
    assertEquals(BidStanding.STANDING, BidStanding.of(fay, auction(false, eve, fay), 2));
  }

  @Test
  void aViewOlderThanTheDecisionDoesNotCallAStandingBidOutbid() {
    assertEquals(BidStanding.STANDING, BidStanding.of(eve, auction(false, dan), 1), "eve beats the one listed");
    assertEquals(BidStanding.STANDING, BidStanding.of(fay, auction(false, eve), 2), "a unit is left for it");
    assertEquals(BidStanding.OUTBID, BidStanding.of(dan, auction(false, eve, fay), 2), "two better bids stand");
  }

  @Test
  void aRefusedBidNeverStoodAndAPurchaseIsNoBid() {
    var low = bid("low", 900, 5, BidAnswer.BID_ANSWER_TOO_LOW);
    assertEquals(BidStanding.NOT_ACCEPTED, BidStanding.of(low, auction(true), 1));
    var purchase = PurchaseDecision.newBuilder().setRequestId("p").setOutcome(Outcome.OUTCOME_WON).build();
    assertThrows(IllegalArgumentException.class, () -> BidStanding.of(purchase, auction(false), 1));
    assertEquals(false, new PurchaseResult.Decided(dan).won(), "an accepted bid is no win");
    assertEquals(true, new PurchaseResult.Decided(purchase).won());
  }
}
