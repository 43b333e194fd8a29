package flashsale.arbiter.grpc;

import flashsale.orders.OrderTerms;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventKind;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.wire.Errors;
import flashsale.wire.EventValidator;
import flashsale.wire.Times;
import flashsale.v1.CreateEventRequest;
import java.util.Optional;

/** CreateEvent's payment_window and waitlist_bound as {@link OrderTerms}, checked. */
final class OrderTermsMapping {
  /** A window longer than this is a typo (minutes are meant, not days). */
  static final long MAX_PAYMENT_WINDOW_MICROS = 24L * 3600 * 1_000_000;
  /**
   * The waitlist is held in the leader's memory and read by each new leader, so its bound is
   * capped: at this, or at the default (twice the stock) when that is more.
   */
  static final long MAX_WAITLIST_BOUND = 1_000_000;

  private OrderTermsMapping() {}

  /** The terms the request asks for; empty without a payment_window (wins are final). */
  static Optional<OrderTerms> fromRequest(CreateEventRequest request, EventSpec spec) {
    if (!request.hasPaymentWindow()) {
      if (request.hasWaitlistBound()) throw EventValidator.invalid("waitlist_bound", "needs a payment_window");
      return Optional.empty();
    }
    var window = request.getPaymentWindow();
    boolean inRange = window.getSeconds() >= 0 && window.getNanos() >= 0 && window.getNanos() <= 999_999_999
        && window.getSeconds() <= MAX_PAYMENT_WINDOW_MICROS / 1_000_000;
    long windowMicros = inRange ? Times.micros(window) : -1;
    if (windowMicros <= 0 || windowMicros > MAX_PAYMENT_WINDOW_MICROS) {
      throw EventValidator.invalid("payment_window", "must be above 0 and at most 24 h");
    }
    long bound = request.hasWaitlistBound() ? request.getWaitlistBound() : OrderTerms.defaultWaitlistBound(spec.stock());
    long maxBound = Math.max(MAX_WAITLIST_BOUND, OrderTerms.defaultWaitlistBound(spec.stock()));
    if (bound < 0 || bound > maxBound) {
      throw EventValidator.invalid("waitlist_bound", "must be between 0 and " + maxBound + " (1,000,000 or twice the stock, "
          + "whichever is more), got " + bound);
    }
    if (spec.mode() != SaleMode.GLOBAL_ORDER || spec.kind() != EventKind.FLASH_SALE) {
      throw Errors.error(ErrorReason.MODE_NOT_SUPPORTED, "a payment window needs a GLOBAL_ORDER flash sale, not "
          + spec.mode() + " " + spec.kind());
    }
    return Optional.of(new OrderTerms(windowMicros, bound));
  }

  /** The stored terms as GetEvent shows them. */
  static flashsale.v1.PaymentTerms toProto(OrderTerms terms) {
    return flashsale.v1.PaymentTerms.newBuilder()
        .setPaymentWindow(flashsale.wire.Times.duration(terms.paymentWindowMicros()))
        .setWaitlistBound(terms.waitlistBound()).build();
  }
}
