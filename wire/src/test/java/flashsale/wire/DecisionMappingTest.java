package flashsale.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import flashsale.v1.PurchaseDecision;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A decision crosses the wire (arbiter to region, region to buyer) and comes back the same decision. */
class DecisionMappingTest {

  private static Decision roundTrip(Decision d) throws Exception {
    return WireMapping.fromProto(PurchaseDecision.parseFrom(WireMapping.toProto(d).toByteArray()));
  }

  @Test
  void everyKindRoundTrips() throws Exception {
    var purchase = new Ticket("e", "r1", "ann", 2, "near", 1_796_000_000_000_001L, 300, List.of(), 0, "near-1");
    var reservation = new Ticket("e", "r2", "bob", 1, "far", 7, 0, List.of("a", "b"), 0, "");
    var bid = Ticket.bid("e", "b1", "cy", 1_200, "far", 9, 40);
    for (Decision d : List.of(
        new Decision(purchase, Outcome.LOST, LossReason.LIMIT_EXCEEDED, 3, 10, true, true),
        new Decision(reservation, Outcome.WON, LossReason.NONE, 4, 11, false, false, "b"),
        Decision.ofBid(bid, new BidVerdict(BidAnswer.TOO_LOW, 1_300, 99), 5, 12, false))) {
      assertEquals(d, roundTrip(d));
    }
  }

  /**
   * A bid ranked without an answer (stamped out of bounds) keeps its amount on the wire: the
   * region matches a decision to its pending call by content, and a decision without the amount
   * was of another purchase, so the buyer waited for its deadline.
   */
  @Test
  void aBidStampedOutOfBoundsKeepsItsAmount() throws Exception {
    var backDated = Ticket.bid("e", "b-late", "eve", 900, "near", 13, 0);
    var decision = new Decision(backDated, Outcome.LOST, LossReason.STAMP_OUT_OF_BOUNDS, 5, 14, true, false, "",
        Optional.empty());
    PurchaseDecision told = WireMapping.toProto(decision);
    assertEquals(900, told.getBid().getAmountMinor());
    assertEquals(flashsale.v1.BidAnswer.BID_ANSWER_UNSPECIFIED, told.getBid().getAnswer());
    Decision read = roundTrip(decision);
    assertEquals(decision, read);
    assertTrue(read.ticket().samePurchaseAs(backDated));
  }

  /**
   * A loss reason a newer arbiter sends (a rolling upgrade) reaches an older region as OTHER and
   * goes to the buyer as a loss without a reason; it used to throw in the region's inbound handling.
   */
  @Test
  void aLossReasonOfANewerArbiterReadsAsOther() throws Exception {
    var ticket = new Ticket("e", "r-newer", "ann", 1, "near", 5);
    PurchaseDecision newer = WireMapping.toProto(new Decision(ticket, Outcome.LOST, LossReason.SOLD_OUT, 2, 9, false))
        .toBuilder().setLossReasonValue(99).build();
    Decision read = WireMapping.fromProto(PurchaseDecision.parseFrom(newer.toByteArray()));
    assertEquals(Outcome.LOST, read.outcome());
    assertEquals(LossReason.OTHER, read.lossReason());
    assertEquals(flashsale.v1.LossReason.LOSS_REASON_UNSPECIFIED, WireMapping.toProto(read).getLossReason());
    assertEquals(read, roundTrip(read));
  }
}
