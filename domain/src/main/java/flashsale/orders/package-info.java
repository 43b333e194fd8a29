/**
 * After the win: payment deadlines, cancellations and the waitlist (values shared by the arbiter's
 * order book and the stores).
 */
package flashsale.orders;
