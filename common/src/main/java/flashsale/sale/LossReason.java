package flashsale.sale;

/** Why a ticket lost; {@link #NONE} for a win. */
public enum LossReason {
  NONE,
  /** No stock left at the ticket's turn. */
  SOLD_OUT,
  /** Some stock left, but less than the quantity asked for (all or nothing). */
  INSUFFICIENT_STOCK,
  /** The user already holds the per-user limit. */
  LIMIT_EXCEEDED
}
