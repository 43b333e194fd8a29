package flashsale.client.cli;

import flashsale.client.FlashSaleException;
import flashsale.sale.ErrorReason;
import java.util.Arrays;
import java.util.Optional;

/**
 * Turns a server error into the single line the CLI prints:
 * {@code error: <CODE> <REASON>: <description> (<what to do>)}.
 */
final class ErrorMessages {
  private ErrorMessages() {}

  static String line(FlashSaleException e) {
    String description = e.description().isBlank() ? "(no description)" : e.description().strip();
    // One line, whatever the server put in its description.
    description = description.replaceAll("\\s*\\R\\s*", " ");
    return "error: " + e.code() + e.reason().map(r -> " " + r).orElse("") + ": " + description
        + " (" + hint(e) + ")";
  }

  /** What the user can do about it; the reason is more specific than the code, so it wins. */
  static String hint(FlashSaleException e) {
    Optional<ErrorReason> reason =
        e.reason().flatMap(r -> Arrays.stream(ErrorReason.values()).filter(v -> v.name().equals(r)).findFirst());
    if (reason.isPresent()) {
      return switch (reason.get()) {
        case INVALID_FIELD -> "fix the field named in the message";
        case EVENT_NOT_FOUND -> "check --event, or create it with 'flashsale event create'";
        case PURCHASE_NOT_FOUND -> "neither the region nor the arbiter knows this request id; buying again with the same --request-id is safe";
        case EVENT_NOT_STARTED -> "wait for the start time; 'flashsale event get' shows it";
        case EVENT_ENDED -> "the sale is over";
        case REGION_NOT_IN_EVENT -> "buy through a region the event lists";
        case MODE_NOT_SUPPORTED -> "choose another --mode";
        case EVENT_EXISTS -> "choose another --event id; if it is yours (an earlier try that timed out), 'flashsale event get "
            + "--event " + e.metadata("event_id").orElse("ID") + "' shows it";
        case REQUEST_ID_REUSED -> "that request id was used with other content (another purchase, bid or event): if it was"
            + " yours, resend it as first sent or ask 'flashsale status' (the first may still win); else use a new --request-id";
        case TOO_MANY_PENDING -> "the region is at capacity; retry " + after(e) + " with the same --request-id";
        case RATE_LIMITED -> "over your rate limit; retry " + after(e) + " with the same --request-id";
        case TOO_MANY_PENDING_FOR_USER -> "too many of your purchases still wait to be decided; retry " + after(e)
            + " with the same --request-id";
        case CLOCK_SKEW -> "the region's clock is off; retry later or through another region";
        case NOT_LEADER -> e.metadata("leader").map(l -> "the leader is at " + l + "; use --target " + l)
            // Without a leader named: a leader being elected, or an event or order it is still recording.
            .orElse("retry in a moment");
        case SHUTTING_DOWN, ARBITER_UNAVAILABLE, STORE_UNAVAILABLE -> "retry later with the same --request-id";
        case POOL_LOST -> "the event's pool store lost its stock counts; an operator must restore them (retrying does not help)";
        case PURCHASE_PENDING -> "watch it at the region it was bought at, or again once 'flashsale status' says it is decided";
        case STOCK_IN_TRANSIT -> "stock is being moved to this region; retry " + after(e) + " with the same --request-id";
        case HOME_REGION_ELSEWHERE -> e.metadata("home_region").map(h -> "buy through region " + h)
            .orElse("buy through the user's home region");
        case NO_PAYMENT_WINDOW -> "the event's wins are final: there is nothing to pay or cancel";
        case NOT_A_WIN -> "only a win awaiting payment can be paid or cancelled; 'flashsale order' shows its state";
        case PAYMENT_EXPIRED -> "the payment window closed and its units moved on; the purchase cannot be paid now";
        case PURCHASE_CANCELLED -> "the purchase was cancelled; it cannot be paid now";
        case ALREADY_PAID -> "the purchase is paid; it cannot be cancelled";
        case REQUEST_INCOMPLETE -> "the request did not reach the server whole in time; retry with the same --request-id";
        case CREDENTIALS_MISSING -> "this call needs an identity: give --token-file (or FLASHSALE_TOKEN) or --tls-cert/--tls-key";
        case CREDENTIALS_INVALID -> "the token or certificate was refused (unknown, expired or badly signed): get a fresh one";
        case ROLE_REQUIRED -> e.metadata("required").map(r -> "your identity lacks the role this call needs: " + r)
            .orElse("your identity lacks the role this call needs");
        case IDENTITY_MISMATCH -> "the certificate names another workload than the one this call acts as";
        case WRONG_EVENT_KIND -> "wrong command for this event: 'flashsale bid' for an auction, 'flashsale purchase' or"
            + " 'flashsale reserve' for the rest; 'flashsale event get' shows its kind";
        default -> hintForCode(e);
      };
    }
    return hintForCode(e);
  }

  /** "in 250 ms" when the server said how long to wait (RetryInfo), else "later". */
  private static String after(FlashSaleException e) {
    return e.retryDelay().map(d -> "in " + Math.max(1, d.toMillis()) + " ms").orElse("later");
  }

  /**
   * A handshake that failed on a certificate or on a node that speaks no TLS, by the exception
   * itself (every error raised while connecting names the pipeline's "SslHandler", so the text
   * would also match a connection reset, which a retry can fix).
   */
  static boolean tlsRefused(FlashSaleException e) {
    return e.code() == io.grpc.Status.Code.UNAVAILABLE && tlsRefusedCause(e);
  }

  private static final java.util.Set<String> TRANSIENT_HANDSHAKE_FAILURES =
      java.util.Set.of("StacklessSSLHandshakeException", "SslHandshakeTimeoutException");

  private static boolean tlsRefusedCause(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      // Netty's "connection closed while the handshake was in progress" and its handshake timeout
      // are SSLHandshakeExceptions too, and a retry can fix both.
      if (TRANSIENT_HANDSHAKE_FAILURES.contains(t.getClass().getSimpleName())) return false;
      if (t instanceof java.security.cert.CertificateException || t instanceof javax.net.ssl.SSLHandshakeException
          || t.getClass().getSimpleName().equals("NotSslRecordException")) {
        return true;
      }
    }
    return false;
  }

  private static String hintForCode(FlashSaleException e) {
    if (tlsRefused(e)) {
      return "the TLS handshake failed: --tls-ca must be the CA that signed the node's certificate, --tls-cert/--tls-key "
          + "one it accepts, and a node without TLS takes no --tls-ca; retrying will not help";
    }
    return switch (e.code()) {
      case UNAVAILABLE -> "is a node listening at --target? (a node serving TLS needs --tls-ca) retrying with the same "
          + "--request-id is safe";
      case DEADLINE_EXCEEDED -> "the outcome is unknown; retrying with the same --request-id is safe ('flashsale status' "
          + "asks about a purchase), or raise --deadline";
      case UNIMPLEMENTED -> "wrong node? purchase/status go to a region, event/regions to the arbiter";
      case INVALID_ARGUMENT -> "fix the value named in the message";
      case NOT_FOUND -> "check the ids you passed";
      case ALREADY_EXISTS -> "use a new id";
      case FAILED_PRECONDITION -> "the event does not allow this now; see 'flashsale event get'";
      case RESOURCE_EXHAUSTED -> "the node is overloaded; retry later with the same --request-id";
      default -> "see the node's log";
    };
  }
}
