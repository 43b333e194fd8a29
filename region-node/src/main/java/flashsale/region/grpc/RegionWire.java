package flashsale.region.grpc;

import flashsale.region.core.Answer;
import flashsale.region.core.BuyRequest;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.Failure;
import flashsale.region.core.PurchaseStanding;
import flashsale.region.core.RegionCore;
import flashsale.sale.Ticket;
import flashsale.v1.GetEventResponse;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.wire.Errors;
import flashsale.wire.OrderWire;
import flashsale.wire.Times;
import flashsale.wire.WireMapping;
import io.grpc.StatusRuntimeException;

/** The region's core values to and from {@code flashsale.v1} messages and gRPC statuses. */
public final class RegionWire {
  private RegionWire() {}

  public static BuyRequest buyRequest(PurchaseRequest r) {
    return new BuyRequest(r.getEventId(), r.getUserId(), r.getRequestId(), r.getQuantity(), r.getSlotsList());
  }

  /** The failure's status; a failure that says when to retry also carries a {@code RetryInfo}. */
  public static StatusRuntimeException status(Failure f) {
    String retryMs = f.metadata().get(BuyerLimits.RETRY_DELAY_MS);
    return retryMs == null ? Errors.error(f.reason(), f.message(), f.metadata())
        : Errors.error(f.reason(), f.message(), f.metadata(), java.time.Duration.ofMillis(Long.parseLong(retryMs)));
  }

  public static PurchaseDecision toProto(Answer answer) {
    return switch (answer) {
      case Answer.Ranked r -> WireMapping.toProto(r.decision());
    };
  }

  public static flashsale.v1.Ticket toProto(Ticket t) {
    return flashsale.v1.Ticket.newBuilder()
        .setEventId(t.eventId())
        .setRequestId(t.requestId())
        .setUserId(t.userId())
        .setQuantity(t.quantity())
        .setArrivalMicros(t.stampMicros())
        .setErrorBoundMicros(t.errorBoundMicros())
        .addAllSlots(t.slots())
        .setBidAmountMinor(t.bidMinor())
        .build();
  }

  /** A decided purchase as GetPurchase shows it: the decision, and its order if it has one. */
  public static GetPurchaseResponse toProto(PurchaseStanding standing) {
    GetPurchaseResponse.Builder b = GetPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_DECIDED)
        .setDecision(WireMapping.toProto(standing.decision()));
    standing.order().ifPresent(o -> b.setOrder(OrderWire.toProto(standing.eventId(), o)));
    return b.build();
  }

  /** The same view, as one message of a WatchPurchase stream. */
  public static WatchPurchaseResponse toWatch(GetPurchaseResponse r) {
    WatchPurchaseResponse.Builder b = WatchPurchaseResponse.newBuilder().setState(r.getState());
    if (r.hasDecision()) b.setDecision(r.getDecision());
    if (r.hasArrivalTime()) b.setArrivalTime(r.getArrivalTime());
    if (r.hasOrder()) b.setOrder(r.getOrder());
    return b.build();
  }

  public static GetEventResponse toProto(RegionCore.EventView view) {
    GetEventResponse.Builder b =
        GetEventResponse.newBuilder().setEvent(WireMapping.toProto(view.spec())).setState(WireMapping.toProto(view.state()));
    view.soldOutMicros().ifPresent(micros -> b.setSoldOutTime(Times.timestamp(micros)));
    return b.build();
  }

}
