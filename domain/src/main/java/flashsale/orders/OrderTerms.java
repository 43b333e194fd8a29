package flashsale.orders;

/**
 * An event's after-the-win terms, set at creation: how long a winner has to pay, and how many
 * losers for lack of stock may wait for released units.
 *
 * @param paymentWindowMicros time from a win (or a promotion) to its payment deadline; above 0
 * @param waitlistBound the most losers that ever join the waitlist; 0 for none
 */
public record OrderTerms(long paymentWindowMicros, long waitlistBound) {
  public OrderTerms {
    if (paymentWindowMicros <= 0) throw new IllegalArgumentException("paymentWindowMicros <= 0: " + paymentWindowMicros);
    if (waitlistBound < 0) throw new IllegalArgumentException("waitlistBound < 0: " + waitlistBound);
  }

  /** The default bound: twice the stock. */
  public static long defaultWaitlistBound(long stock) {
    return Math.multiplyExact(stock, 2);
  }
}
