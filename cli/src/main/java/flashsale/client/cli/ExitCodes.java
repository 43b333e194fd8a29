package flashsale.client.cli;

import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of every {@code flashsale} command, chosen so a script can tell "lost" from
 * "try again" from "you asked wrong". Each command's {@code --help} lists them.
 */
public final class ExitCodes {
  /** Success; for purchase and status, the request won. */
  public static final int OK = 0;
  /** The purchase was decided and lost. */
  public static final int LOST = 1;
  /**
   * Bad option, argument, time or input file (picocli's usage code), or TLS files the node's
   * handshake refuses (or whose node it refuses).
   */
  public static final int USAGE = 2;
  /** The node is unreachable, overloaded or failing over: retry later with the same request id. */
  public static final int UNAVAILABLE = 3;
  /** The server refused the request: unknown event, event not open, invalid field, duplicate. */
  public static final int REJECTED = 4;
  /** The outcome is not known yet: the deadline passed or the purchase is still pending. */
  public static final int UNDECIDED = 5;
  /** Internal server error, unimplemented call, or a local I/O failure. */
  public static final int FAILURE = 6;

  private ExitCodes() {}

  /**
   * The exit code for a failed call: by its code, except a region's {@code REQUEST_INCOMPLETE}
   * (DEADLINE_EXCEEDED, but the request never arrived whole: nothing to ask about, retry), which
   * exits as unavailable.
   */
  static int forFailure(flashsale.client.FlashSaleException e) {
    if (e.reason().filter("REQUEST_INCOMPLETE"::equals).isPresent()) return UNAVAILABLE;
    return forStatus(e.code());
  }

  /** The exit code for a call that failed with {@code code}. */
  public static int forStatus(Status.Code code) {
    return switch (code) {
      case OK -> OK;
      case UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED -> UNAVAILABLE;
      case INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE,
          PERMISSION_DENIED, UNAUTHENTICATED -> REJECTED;
      case DEADLINE_EXCEEDED -> UNDECIDED;
      case CANCELLED, UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS -> FAILURE;
    };
  }

  /** Code → meaning, as the help text shows it. */
  static Map<String, String> descriptions() {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put(Integer.toString(OK), "ok; for purchase/status: the request WON (after the win: PAID or AWAITING_PAYMENT)");
    codes.put(Integer.toString(LOST), "purchase/status: decided and LOST (sold out, too little stock, per-user limit), "
        + "or after the win CANCELLED, EXPIRED, still WAITLISTED or WAITLIST_CLOSED");
    codes.put(Integer.toString(USAGE), "usage error: bad option, argument, time or input file, or a TLS handshake refused"
        + " on a certificate (--tls-ca, --tls-cert, --tls-key)");
    codes.put(Integer.toString(UNAVAILABLE), "unavailable or overloaded (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED, or"
        + " DEADLINE_EXCEEDED REQUEST_INCOMPLETE: the request never arrived whole): retry with the same --request-id");
    codes.put(Integer.toString(REJECTED), "rejected (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS,"
        + " OUT_OF_RANGE, PERMISSION_DENIED, UNAUTHENTICATED)");
    codes.put(Integer.toString(UNDECIDED), "not decided yet: still PENDING or DEADLINE_EXCEEDED; ask with 'flashsale status'");
    codes.put(Integer.toString(FAILURE), "failure: INTERNAL/UNKNOWN/UNIMPLEMENTED/CANCELLED/DATA_LOSS from the server, or a"
        + " local I/O error");
    return codes;
  }
}
