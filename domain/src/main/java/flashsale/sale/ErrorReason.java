package flashsale.sale;

/**
 * Every machine-readable reason a request can fail for, as the API names it in a
 * {@code google.rpc.ErrorInfo}. The gRPC code each travels under is the wire's business
 * ({@code flashsale.wire.Errors#codeOf}); the cores only name the reason.
 */
public enum ErrorReason {
  INVALID_FIELD,
  /** The request's bytes are not a message of the method's type (or a string in it is not UTF-8). */
  MALFORMED_MESSAGE,
  EVENT_NOT_FOUND,
  PURCHASE_NOT_FOUND,
  EVENT_NOT_STARTED,
  EVENT_ENDED,
  REGION_NOT_IN_EVENT,
  MODE_NOT_SUPPORTED,
  /** A bid on an event that is no auction, or a purchase on an auction. */
  WRONG_EVENT_KIND,
  PROTOCOL_VIOLATION,
  /**
   * A call's request did not arrive whole (its message and the end of its stream) within the
   * server's bound of the call's headers; nothing of it was done, so a retry is safe.
   */
  REQUEST_INCOMPLETE,
  /** SHARDED: the user's purchases are served by another region (see {@code home_region}). */
  HOME_REGION_ELSEWHERE,
  EVENT_EXISTS,
  REQUEST_ID_REUSED,
  TOO_MANY_PENDING,
  /** Over a rate limit (per user or per client address); RetryInfo says when to come back. */
  RATE_LIMITED,
  /** The user already has the most undecided purchases one user may have in the event. */
  TOO_MANY_PENDING_FOR_USER,
  CLOCK_SKEW,
  ARBITER_UNAVAILABLE,
  /** A standby arbiter; ErrorInfo metadata {@code leader} names the leader's host:port when known. */
  NOT_LEADER,
  STORE_UNAVAILABLE,
  /**
   * CENTRAL or SHARDED: the pool store lost the event's pool after its sale began; no unit is
   * sold twice, so nothing sells from it until an operator restores it. Retrying does not help.
   */
  POOL_LOST,
  /** SHARDED: stock is still being moved to this region; retry with the same request_id. */
  STOCK_IN_TRANSIT,
  SHUTTING_DOWN,
  /** No client certificate and no bearer token where the method needs an identity. */
  CREDENTIALS_MISSING,
  /** A bearer token that is unknown, expired or badly signed, or a certificate without a workload id. */
  CREDENTIALS_INVALID,
  /** An identity without a role the method needs; ErrorInfo metadata {@code required} names them. */
  ROLE_REQUIRED,
  /** A region stream whose hello names another region than its certificate. */
  IDENTITY_MISMATCH,
  /** After the win: the event has no payment window, so its wins are final. */
  NO_PAYMENT_WINDOW,
  /** A confirm or cancel of a purchase that is no win awaiting payment (a loss, or still waitlisted). */
  NOT_A_WIN,
  /** A confirm at or after the payment deadline: the win expired and its units moved on. */
  PAYMENT_EXPIRED,
  /** A confirm of a purchase already cancelled. */
  PURCHASE_CANCELLED,
  /** A cancel of a purchase already paid. */
  ALREADY_PAID,
  /**
   * A watch of a purchase that the arbiter holds undecided but this region does not (stamped at
   * another region, or before a restart): watch it where it was bought, or again once decided.
   */
  PURCHASE_PENDING;
}
