package flashsale.wire;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderTransition;
import flashsale.orders.PurchaseState;
import flashsale.v1.Order;
import flashsale.v1.OrderState;

/** A purchase's order after its decision (payment window, waitlist) to and from {@code flashsale.v1.Order}. */
public final class OrderWire {
  private OrderWire() {}

  /** The order as the API shows it; a deadline of 0 (never set) is left unset. */
  public static Order toProto(String eventId, OrderRecord r) {
    Order.Builder order = Order.newBuilder().setEventId(eventId).setRequestId(r.requestId()).setUserId(r.userId())
        .setQuantity(r.quantity()).setRank(r.rank()).setState(toProto(r.state()));
    if (r.deadlineMicros() > 0) order.setPaymentDeadlineTime(Times.timestamp(r.deadlineMicros()));
    return order.build();
  }

  /** The purchase's order right after {@code t}: the state it leads to, with the deadline it carries. */
  public static Order toProto(String eventId, OrderTransition t) {
    return toProto(eventId, new OrderRecord(t.requestId(), t.userId(), t.quantity(), t.rank(), t.kind().to(),
        t.deadlineMicros()));
  }

  /**
   * An order as the arbiter sent it.
   *
   * @throws IllegalArgumentException for an unset or unknown state, or a rank below 1
   */
  public static OrderRecord fromProto(Order o) {
    if (o.getRank() < 1) throw new IllegalArgumentException("order " + o.getRequestId() + " has rank " + o.getRank());
    return new OrderRecord(o.getRequestId(), o.getUserId(), o.getQuantity(), o.getRank(), fromProto(o.getState()),
        o.hasPaymentDeadlineTime() ? Times.micros(o.getPaymentDeadlineTime()) : 0);
  }

  public static OrderState toProto(PurchaseState state) {
    return switch (state) {
      case AWAITING_PAYMENT -> OrderState.ORDER_STATE_AWAITING_PAYMENT;
      case PAID -> OrderState.ORDER_STATE_PAID;
      case CANCELLED -> OrderState.ORDER_STATE_CANCELLED;
      case EXPIRED -> OrderState.ORDER_STATE_EXPIRED;
      case WAITLISTED -> OrderState.ORDER_STATE_WAITLISTED;
      case NOT_WAITLISTED -> OrderState.ORDER_STATE_NOT_WAITLISTED;
      case WAITLIST_CLOSED -> OrderState.ORDER_STATE_WAITLIST_CLOSED;
    };
  }

  /** @throws IllegalArgumentException for an unset or unknown state */
  public static PurchaseState fromProto(OrderState state) {
    return switch (state) {
      case ORDER_STATE_AWAITING_PAYMENT -> PurchaseState.AWAITING_PAYMENT;
      case ORDER_STATE_PAID -> PurchaseState.PAID;
      case ORDER_STATE_CANCELLED -> PurchaseState.CANCELLED;
      case ORDER_STATE_EXPIRED -> PurchaseState.EXPIRED;
      case ORDER_STATE_WAITLISTED -> PurchaseState.WAITLISTED;
      case ORDER_STATE_NOT_WAITLISTED -> PurchaseState.NOT_WAITLISTED;
      case ORDER_STATE_WAITLIST_CLOSED -> PurchaseState.WAITLIST_CLOSED;
      default -> throw new IllegalArgumentException("order state " + state + " is no state of an order");
    };
  }
}
