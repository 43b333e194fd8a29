package flashsale.wire;

import io.grpc.Status;

/**
 * Every machine-readable reason this API puts in a {@code google.rpc.ErrorInfo}, with the gRPC
 * code it travels under.
 */
public enum ErrorReason {
  INVALID_FIELD(Status.Code.INVALID_ARGUMENT),
  /** The request's bytes are not a message of the method's type (or a string in it is not UTF-8). */
  MALFORMED_MESSAGE(Status.Code.INVALID_ARGUMENT),
  EVENT_NOT_FOUND(Status.Code.NOT_FOUND),
  PURCHASE_NOT_FOUND(Status.Code.NOT_FOUND),
  EVENT_NOT_STARTED(Status.Code.FAILED_PRECONDITION),
  EVENT_ENDED(Status.Code.FAILED_PRECONDITION),
  REGION_NOT_IN_EVENT(Status.Code.FAILED_PRECONDITION),
  MODE_NOT_SUPPORTED(Status.Code.FAILED_PRECONDITION),
  PROTOCOL_VIOLATION(Status.Code.FAILED_PRECONDITION),
  /** SHARDED: the user's purchases are served by another region (see {@code home_region}). */
  HOME_REGION_ELSEWHERE(Status.Code.FAILED_PRECONDITION),
  EVENT_EXISTS(Status.Code.ALREADY_EXISTS),
  REQUEST_ID_REUSED(Status.Code.ALREADY_EXISTS),
  TOO_MANY_PENDING(Status.Code.RESOURCE_EXHAUSTED),
  /** Over a rate limit (per user or per client address); RetryInfo says when to come back. */
  RATE_LIMITED(Status.Code.RESOURCE_EXHAUSTED),
  /** The user already has the most undecided purchases one user may have in the event. */
  TOO_MANY_PENDING_FOR_USER(Status.Code.RESOURCE_EXHAUSTED),
  CLOCK_SKEW(Status.Code.UNAVAILABLE),
  ARBITER_UNAVAILABLE(Status.Code.UNAVAILABLE),
  /** A standby arbiter; ErrorInfo metadata {@code leader} names the leader's host:port when known. */
  NOT_LEADER(Status.Code.UNAVAILABLE),
  STORE_UNAVAILABLE(Status.Code.UNAVAILABLE),
  /** SHARDED: stock is still being moved to this region; retry with the same request_id. */
  STOCK_IN_TRANSIT(Status.Code.UNAVAILABLE),
  SHUTTING_DOWN(Status.Code.UNAVAILABLE),
  /** No client certificate and no bearer token where the method needs an identity. */
  CREDENTIALS_MISSING(Status.Code.UNAUTHENTICATED),
  /** A bearer token that is unknown, expired or badly signed, or a certificate without a workload id. */
  CREDENTIALS_INVALID(Status.Code.UNAUTHENTICATED),
  /** An identity without a role the method needs; ErrorInfo metadata {@code required} names them. */
  ROLE_REQUIRED(Status.Code.PERMISSION_DENIED),
  /** A region stream whose hello names another region than its certificate. */
  IDENTITY_MISMATCH(Status.Code.PERMISSION_DENIED);

  private final Status.Code code;

  ErrorReason(Status.Code code) {
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }
}
