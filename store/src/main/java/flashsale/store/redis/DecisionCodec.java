package flashsale.store.redis;

import com.google.protobuf.InvalidProtocolBufferException;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import flashsale.storage.v1.StoredBid;
import flashsale.storage.v1.StoredBidAnswer;
import flashsale.storage.v1.StoredDecision;
import flashsale.storage.v1.StoredLossReason;
import flashsale.storage.v1.StoredOutcome;
import flashsale.wire.Times;
import java.util.Optional;

/**
 * Decisions as stored in Redis: the bytes of {@link StoredDecision}, the store's own message (not
 * the API's {@code PurchaseDecision}, whose field numbers it shares so that what earlier versions
 * stored reads unchanged and encodes to the same bytes). The event id is left out because every
 * key already names the event.
 */
final class DecisionCodec {
  private DecisionCodec() {}

  static byte[] encode(Decision decision) {
    Ticket t = decision.ticket();
    StoredDecision.Builder b = StoredDecision.newBuilder()
        .setRequestId(t.requestId())
        .setUserId(t.userId())
        .setQuantity(t.quantity())
        .setOutcome(decision.won() ? StoredOutcome.STORED_OUTCOME_WON : StoredOutcome.STORED_OUTCOME_LOST)
        .setRank(decision.rank())
        .setRegion(t.region())
        .setRegionNode(t.node())
        .setArrivalTime(Times.timestamp(t.stampMicros()))
        .setDecideTime(Times.timestamp(decision.decideMicros()))
        .setLossReason(stored(decision.lossReason()))
        .setLate(decision.late())
        .setNearTie(decision.nearTie())
        .setSlot(decision.slot())
        .addAllSlots(t.slots());
    // Unset rather than zero for an exact stamp, so a decision reads back unchanged.
    if (t.errorBoundMicros() > 0) b.setArrivalUncertainty(Times.duration(t.errorBoundMicros()));
    if (decision.bid().isPresent()) {
      BidVerdict verdict = decision.bid().get();
      b.setBid(StoredBid.newBuilder()
          .setAnswer(stored(verdict.answer()))
          .setAmountMinor(t.bidMinor())
          .setAmountToBeatMinor(verdict.amountToBeatMinor())
          .setCloseTime(Times.timestamp(verdict.closeMicros())));
    } else if (t.isBid()) {
      // Ranked without an answer (stamped out of bounds): the amount stays, so a retry of the bid
      // matches. Before 2026-12-03 it was dropped; such a decision stored earlier reads as a purchase.
      b.setBid(StoredBid.newBuilder().setAmountMinor(t.bidMinor()));
    }
    return b.build().toByteArray();
  }

  static Decision decode(String eventId, byte[] bytes) {
    if (bytes == null) {
      throw new IllegalStateException("event " + eventId + ": a logged request id has no stored decision");
    }
    StoredDecision s;
    try {
      s = StoredDecision.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("event " + eventId + ": undecodable stored decision", e);
    }
    var ticket = new Ticket(eventId, s.getRequestId(), s.getUserId(), s.getQuantity(), s.getRegion(),
        Times.micros(s.getArrivalTime()), Times.micros(s.getArrivalUncertainty()), s.getSlotsList(),
        s.getBid().getAmountMinor(), s.getRegionNode());
    Outcome outcome = s.getOutcome() == StoredOutcome.STORED_OUTCOME_WON ? Outcome.WON : Outcome.LOST;
    LossReason reason = lossReason(s.getLossReason());
    if (outcome == Outcome.LOST && reason == LossReason.NONE) reason = LossReason.OTHER; // a newer build's reason
    return new Decision(ticket, outcome, reason, s.getRank(), Times.micros(s.getDecideTime()),
        s.getLate(), s.getNearTie(), s.getSlot(), s.hasBid() ? verdict(s.getBid()) : Optional.empty());
  }

  private static StoredLossReason stored(LossReason reason) {
    return switch (reason) {
      case NONE -> StoredLossReason.STORED_LOSS_REASON_UNSPECIFIED;
      case SOLD_OUT -> StoredLossReason.STORED_LOSS_REASON_SOLD_OUT;
      case INSUFFICIENT_STOCK -> StoredLossReason.STORED_LOSS_REASON_INSUFFICIENT_STOCK;
      case LIMIT_EXCEEDED -> StoredLossReason.STORED_LOSS_REASON_LIMIT_EXCEEDED;
      case STAMP_OUT_OF_BOUNDS -> StoredLossReason.STORED_LOSS_REASON_STAMP_OUT_OF_BOUNDS;
      case NO_SLOT_AVAILABLE -> StoredLossReason.STORED_LOSS_REASON_NO_SLOT_AVAILABLE;
      case BID_NOT_ACCEPTED -> StoredLossReason.STORED_LOSS_REASON_BID_NOT_ACCEPTED;
      case OTHER -> StoredLossReason.STORED_LOSS_REASON_UNSPECIFIED; // read back as OTHER, being a loss
    };
  }

  private static LossReason lossReason(StoredLossReason reason) {
    return switch (reason) {
      case STORED_LOSS_REASON_SOLD_OUT -> LossReason.SOLD_OUT;
      case STORED_LOSS_REASON_INSUFFICIENT_STOCK -> LossReason.INSUFFICIENT_STOCK;
      case STORED_LOSS_REASON_LIMIT_EXCEEDED -> LossReason.LIMIT_EXCEEDED;
      case STORED_LOSS_REASON_STAMP_OUT_OF_BOUNDS -> LossReason.STAMP_OUT_OF_BOUNDS;
      case STORED_LOSS_REASON_NO_SLOT_AVAILABLE -> LossReason.NO_SLOT_AVAILABLE;
      case STORED_LOSS_REASON_BID_NOT_ACCEPTED -> LossReason.BID_NOT_ACCEPTED;
      case STORED_LOSS_REASON_UNSPECIFIED, UNRECOGNIZED -> LossReason.NONE;
    };
  }

  private static StoredBidAnswer stored(BidAnswer answer) {
    return switch (answer) {
      case ACCEPTED -> StoredBidAnswer.STORED_BID_ANSWER_ACCEPTED;
      case OUTBID -> StoredBidAnswer.STORED_BID_ANSWER_OUTBID;
      case TOO_LOW -> StoredBidAnswer.STORED_BID_ANSWER_TOO_LOW;
      case CLOSED -> StoredBidAnswer.STORED_BID_ANSWER_CLOSED;
    };
  }

  /** Empty for a stored bid without a known answer. */
  private static Optional<BidVerdict> verdict(StoredBid bid) {
    BidAnswer answer = switch (bid.getAnswer()) {
      case STORED_BID_ANSWER_ACCEPTED -> BidAnswer.ACCEPTED;
      case STORED_BID_ANSWER_OUTBID -> BidAnswer.OUTBID;
      case STORED_BID_ANSWER_TOO_LOW -> BidAnswer.TOO_LOW;
      case STORED_BID_ANSWER_CLOSED -> BidAnswer.CLOSED;
      case STORED_BID_ANSWER_UNSPECIFIED, UNRECOGNIZED -> null;
    };
    return answer == null ? Optional.empty()
        : Optional.of(new BidVerdict(answer, bid.getAmountToBeatMinor(), Times.micros(bid.getCloseTime())));
  }
}
