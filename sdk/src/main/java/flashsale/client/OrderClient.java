package flashsale.client;

import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.GetOrderRequest;
import flashsale.v1.Order;
import flashsale.v1.OrderServiceGrpc;
import io.grpc.Channel;
import java.time.Duration;

/**
 * Client of the arbiter's {@code OrderService} (after the win): pay or cancel a purchase, and see
 * where it stands. Confirm and cancel are idempotent by the purchase's request id, so a retry after
 * a timeout is safe. Every call has a deadline; failures are {@link FlashSaleException}s (for
 * example {@code PAYMENT_EXPIRED}). Thread-safe; the caller owns the channel.
 */
public final class OrderClient {
  private final OrderServiceGrpc.OrderServiceBlockingStub stub;
  private final Duration deadline;

  public OrderClient(Channel channel, Duration deadline) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    this.stub = OrderServiceGrpc.newBlockingStub(channel);
    this.deadline = deadline;
  }

  /** Pays the purchase {@code requestId} while it awaits payment; PAID, or a FlashSaleException. */
  public Order confirmPayment(String eventId, String requestId) {
    var request = ConfirmPaymentRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    return Calls.blocking(() -> Calls.withDeadline(stub, deadline).confirmPayment(request)).getOrder();
  }

  /** Gives the purchase back (or leaves the waitlist); CANCELLED, or a FlashSaleException. */
  public Order cancelPurchase(String eventId, String requestId) {
    var request = CancelPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    return Calls.blocking(() -> Calls.withDeadline(stub, deadline).cancelPurchase(request)).getOrder();
  }

  /** Where the purchase stands after its decision. */
  public Order getOrder(String eventId, String requestId) {
    var request = GetOrderRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    return Calls.blocking(() -> Calls.withDeadline(stub, deadline).getOrder(request)).getOrder();
  }
}
