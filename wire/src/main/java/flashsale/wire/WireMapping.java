package flashsale.wire;

import flashsale.sale.AuctionRules;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.EventKind;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.sale.TicketRefusal;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.RejectionReason;
import flashsale.v1.Slot;
import flashsale.v1.SlotStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Domain values to and from {@code flashsale.v1} messages. */
public final class WireMapping {
  private WireMapping() {}

  public static Event toProto(EventSpec spec) {
    return Event.newBuilder()
        .setEventId(spec.eventId())
        .setItem(spec.item())
        .setStock(spec.stock())
        .setStartTime(Times.timestamp(spec.startMicros()))
        .setEndTime(Times.timestamp(spec.endMicros()))
        .setPerUserLimit(spec.auction().isPresent() ? 0 : spec.perUserLimit()) // bids have no per-user limit
        .addAllRegions(spec.regions())
        .setMode(toProto(spec.mode()))
        .addAllShardAllocations(ShardSplit.toProto(spec.shardUnits()))
        .setKind(toProto(spec.kind()))
        .addAllSlots(spec.slots().entrySet().stream()
            .map(e -> Slot.newBuilder().setName(e.getKey()).setCapacity(e.getValue()).build()).toList())
        .mergeFrom(spec.auction().map(a -> Event.newBuilder().setAuction(toProto(a)).build()).orElse(Event.getDefaultInstance()))
        .setPoolsOpenedAtCreation(spec.poolsOpenedAtCreation())
        .build();
  }

  public static flashsale.v1.EventKind toProto(EventKind kind) {
    return switch (kind) {
      case FLASH_SALE -> flashsale.v1.EventKind.EVENT_KIND_FLASH_SALE;
      case RESERVATION -> flashsale.v1.EventKind.EVENT_KIND_RESERVATION;
      case AUCTION -> flashsale.v1.EventKind.EVENT_KIND_AUCTION;
    };
  }

  public static flashsale.v1.AuctionSettings toProto(AuctionRules rules) {
    flashsale.v1.AuctionSettings.Builder b = flashsale.v1.AuctionSettings.newBuilder()
        .setUnits(rules.units())
        .setReservePriceMinor(rules.reservePriceMinor())
        .setMinIncrementMinor(rules.minIncrementMinor())
        .setCurrencyCode(rules.currencyCode());
    if (rules.softCloseWindowMicros() > 0) {
      b.setSoftCloseWindow(Times.duration(rules.softCloseWindowMicros())).setSoftCloseCap(Times.duration(rules.softCloseCapMicros()));
    }
    return b.build();
  }

  public static flashsale.v1.BidDecision toProto(BidVerdict verdict, long amountMinor) {
    return flashsale.v1.BidDecision.newBuilder()
        .setAnswer(switch (verdict.answer()) {
          case ACCEPTED -> flashsale.v1.BidAnswer.BID_ANSWER_ACCEPTED;
          case OUTBID -> flashsale.v1.BidAnswer.BID_ANSWER_OUTBID;
          case TOO_LOW -> flashsale.v1.BidAnswer.BID_ANSWER_TOO_LOW;
          case CLOSED -> flashsale.v1.BidAnswer.BID_ANSWER_CLOSED;
        })
        .setAmountMinor(amountMinor)
        .setAmountToBeatMinor(verdict.amountToBeatMinor())
        .setCloseTime(Times.timestamp(verdict.closeMicros()))
        .build();
  }

  /** Null for a decision without a bid answer. */
  private static BidVerdict fromProto(flashsale.v1.BidDecision bid) {
    BidAnswer answer = switch (bid.getAnswer()) {
      case BID_ANSWER_ACCEPTED -> BidAnswer.ACCEPTED;
      case BID_ANSWER_OUTBID -> BidAnswer.OUTBID;
      case BID_ANSWER_TOO_LOW -> BidAnswer.TOO_LOW;
      case BID_ANSWER_CLOSED -> BidAnswer.CLOSED;
      default -> null;
    };
    return answer == null ? null : new BidVerdict(answer, bid.getAmountToBeatMinor(), Times.micros(bid.getCloseTime()));
  }

  /** Each slot's capacity beside what is left of it, in the event's slot order. */
  public static java.util.List<SlotStatus> slotStatus(EventSpec spec, Map<String, Long> remainingBySlot) {
    return spec.slots().entrySet().stream()
        .map(e -> SlotStatus.newBuilder().setName(e.getKey()).setCapacity(e.getValue())
            .setRemaining(remainingBySlot.getOrDefault(e.getKey(), e.getValue())).build())
        .toList();
  }

  /**
   * Assumes the event passed {@link EventValidator}; the tie-break seed is not on the wire. Whether
   * its pools were opened at creation is taken as sent: the arbiter's create decides it anew.
   */
  public static EventSpec fromProto(Event event, long tieBreakSeed) {
    return new EventSpec(
        event.getEventId(),
        event.getItem(),
        SlotRules.stockOf(event),
        Times.micros(event.getStartTime()),
        Times.micros(event.getEndTime()),
        // Bids have no per-user limit (an auction's is unset): one user may win all its units.
        AuctionFields.isAuction(event) ? event.getAuction().getUnits() : event.getPerUserLimit(),
        event.getRegionsList(),
        fromProto(event.getMode()),
        tieBreakSeed,
        ShardSplit.resolve(event),
        slots(event),
        event.getKind() == flashsale.v1.EventKind.EVENT_KIND_AUCTION ? Optional.of(fromProto(event.getAuction()))
            : Optional.empty(),
        // Output only: a GLOBAL_ORDER event has no pools, whatever a client sent.
        event.getPoolsOpenedAtCreation() && event.getMode() != EventMode.EVENT_MODE_GLOBAL_ORDER);
  }

  public static AuctionRules fromProto(flashsale.v1.AuctionSettings a) {
    return new AuctionRules(a.getUnits(), a.getReservePriceMinor(), a.getMinIncrementMinor(), a.getCurrencyCode(),
        Times.micros(a.getSoftCloseWindow()), Times.micros(a.getSoftCloseCap()));
  }

  private static Map<String, Long> slots(Event event) {
    Map<String, Long> slots = new LinkedHashMap<>();
    for (Slot slot : event.getSlotsList()) slots.put(slot.getName(), slot.getCapacity());
    return slots;
  }

  public static EventMode toProto(SaleMode mode) {
    return switch (mode) {
      case GLOBAL_ORDER -> EventMode.EVENT_MODE_GLOBAL_ORDER;
      case SHARDED -> EventMode.EVENT_MODE_SHARDED;
      case CENTRAL -> EventMode.EVENT_MODE_CENTRAL;
    };
  }

  public static RejectionReason toProto(TicketRefusal refusal) {
    return switch (refusal) {
      case REQUEST_ID_CONFLICT -> RejectionReason.REJECTION_REASON_REQUEST_ID_CONFLICT;
      case CLOCK_SKEW -> RejectionReason.REJECTION_REASON_CLOCK_SKEW;
      case EVENT_NOT_OPEN -> RejectionReason.REJECTION_REASON_EVENT_NOT_OPEN;
    };
  }

  /** A reason this build does not know is treated as "not open": the ticket is refused either way. */
  public static TicketRefusal fromProto(RejectionReason reason) {
    return switch (reason) {
      case REJECTION_REASON_REQUEST_ID_CONFLICT -> TicketRefusal.REQUEST_ID_CONFLICT;
      case REJECTION_REASON_CLOCK_SKEW -> TicketRefusal.CLOCK_SKEW;
      default -> TicketRefusal.EVENT_NOT_OPEN;
    };
  }

  public static SaleMode fromProto(EventMode mode) {
    return switch (mode) {
      case EVENT_MODE_GLOBAL_ORDER -> SaleMode.GLOBAL_ORDER;
      case EVENT_MODE_SHARDED -> SaleMode.SHARDED;
      case EVENT_MODE_CENTRAL -> SaleMode.CENTRAL;
      default -> throw new IllegalArgumentException("unsupported mode " + mode);
    };
  }

  public static PurchaseDecision toProto(Decision d) {
    Ticket t = d.ticket();
    PurchaseDecision.Builder b = PurchaseDecision.newBuilder()
        .setEventId(t.eventId())
        .setRequestId(t.requestId())
        .setUserId(t.userId())
        .setQuantity(t.quantity())
        .setOutcome(d.won() ? flashsale.v1.Outcome.OUTCOME_WON : flashsale.v1.Outcome.OUTCOME_LOST)
        .setRank(d.rank())
        .setRegion(t.region())
        .setRegionNode(t.node())
        .setArrivalTime(Times.timestamp(t.stampMicros()))
        .setDecideTime(Times.timestamp(d.decideMicros()))
        .setLossReason(toProto(d.lossReason()))
        .setLate(d.late())
        .setNearTie(d.nearTie())
        .setSlot(d.slot())
        .addAllSlots(t.slots());
    // Unset rather than zero for an exact stamp, so a decision survives a round trip unchanged.
    if (t.errorBoundMicros() > 0) b.setArrivalUncertainty(Times.duration(t.errorBoundMicros()));
    if (d.bid().isPresent()) {
      b.setBid(toProto(d.bid().get(), t.bidMinor()));
    } else if (t.isBid()) {
      // Ranked without an answer (stamped out of bounds): the amount still travels, so the
      // decision is of the same bid (a region matches it to the pending call by content).
      b.setBid(flashsale.v1.BidDecision.newBuilder().setAmountMinor(t.bidMinor()));
    }
    return b.build();
  }

  public static Decision fromProto(PurchaseDecision p) {
    Ticket ticket =
        new Ticket(
            p.getEventId(),
            p.getRequestId(),
            p.getUserId(),
            p.getQuantity(),
            p.getRegion(),
            Times.micros(p.getArrivalTime()),
            Times.micros(p.getArrivalUncertainty()),
            p.getSlotsList(),
            p.getBid().getAmountMinor(),
            p.getRegionNode());
    Outcome outcome = p.getOutcome() == flashsale.v1.Outcome.OUTCOME_WON ? Outcome.WON : Outcome.LOST;
    LossReason reason = fromProto(p.getLossReason());
    if (outcome == Outcome.LOST && reason == LossReason.NONE) reason = LossReason.OTHER; // a newer arbiter's reason
    return new Decision(
        ticket, outcome, reason, p.getRank(), Times.micros(p.getDecideTime()), p.getLate(),
        p.getNearTie(), p.getSlot(), java.util.Optional.ofNullable(p.hasBid() ? fromProto(p.getBid()) : null));
  }

  public static flashsale.v1.LossReason toProto(LossReason reason) {
    return switch (reason) {
      case NONE -> flashsale.v1.LossReason.LOSS_REASON_UNSPECIFIED;
      case SOLD_OUT -> flashsale.v1.LossReason.LOSS_REASON_SOLD_OUT;
      case INSUFFICIENT_STOCK -> flashsale.v1.LossReason.LOSS_REASON_INSUFFICIENT_STOCK;
      case LIMIT_EXCEEDED -> flashsale.v1.LossReason.LOSS_REASON_LIMIT_EXCEEDED;
      case STAMP_OUT_OF_BOUNDS -> flashsale.v1.LossReason.LOSS_REASON_STAMP_OUT_OF_BOUNDS;
      case NO_SLOT_AVAILABLE -> flashsale.v1.LossReason.LOSS_REASON_NO_SLOT_AVAILABLE;
      case BID_NOT_ACCEPTED -> flashsale.v1.LossReason.LOSS_REASON_BID_NOT_ACCEPTED;
      case OTHER -> flashsale.v1.LossReason.LOSS_REASON_UNSPECIFIED;
    };
  }

  public static LossReason fromProto(flashsale.v1.LossReason reason) {
    return switch (reason) {
      case LOSS_REASON_SOLD_OUT -> LossReason.SOLD_OUT;
      case LOSS_REASON_INSUFFICIENT_STOCK -> LossReason.INSUFFICIENT_STOCK;
      case LOSS_REASON_LIMIT_EXCEEDED -> LossReason.LIMIT_EXCEEDED;
      case LOSS_REASON_STAMP_OUT_OF_BOUNDS -> LossReason.STAMP_OUT_OF_BOUNDS;
      case LOSS_REASON_NO_SLOT_AVAILABLE -> LossReason.NO_SLOT_AVAILABLE;
      case LOSS_REASON_BID_NOT_ACCEPTED -> LossReason.BID_NOT_ACCEPTED;
      default -> LossReason.NONE;
    };
  }

  /** The API's name for a sale state. */
  public static flashsale.v1.EventState toProto(flashsale.sale.SaleState state) {
    return switch (state) {
      case SCHEDULED -> flashsale.v1.EventState.EVENT_STATE_SCHEDULED;
      case OPEN -> flashsale.v1.EventState.EVENT_STATE_OPEN;
      case SOLD_OUT -> flashsale.v1.EventState.EVENT_STATE_SOLD_OUT;
      case ENDED -> flashsale.v1.EventState.EVENT_STATE_ENDED;
    };
  }
}
