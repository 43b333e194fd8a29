package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.client.FlashSaleException;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one line the CLI prints for a refusal that says when to come back. */
class ErrorMessagesTest {
  @Test
  void aRateLimitSaysHowLongToWait() {
    var limited = FlashSaleException.from(
        Errors.error(ErrorReason.RATE_LIMITED, "user alice over its rate", Map.of(), Duration.ofMillis(250)));
    assertEquals("error: RESOURCE_EXHAUSTED RATE_LIMITED: user alice over its rate (over your rate limit; retry in"
        + " 250 ms with the same --request-id)", ErrorMessages.line(limited));
  }

  @Test
  void withoutADelayItSaysLater() {
    var full = FlashSaleException.from(Errors.error(ErrorReason.TOO_MANY_PENDING, "region at capacity"));
    assertEquals("error: RESOURCE_EXHAUSTED TOO_MANY_PENDING: region at capacity (the region is at capacity; retry"
        + " later with the same --request-id)", ErrorMessages.line(full));
  }

  /** A request the region never got whole exits as unavailable (retry), not as undecided (nothing to ask about). */
  @Test
  void aRequestNeverArrivedWholeExitsAsRetry() {
    var incomplete = FlashSaleException.from(Errors.error(ErrorReason.REQUEST_INCOMPLETE, "not whole within 10000 ms"));
    assertEquals(ExitCodes.UNAVAILABLE, ExitCodes.forFailure(incomplete));
    assertEquals(ExitCodes.UNDECIDED, ExitCodes.forFailure(new FlashSaleException(io.grpc.Status.Code.DEADLINE_EXCEEDED, "",
        "deadline passed", null)));
  }

  /** Refusals of identity and of the wrong command say what to do, not "see the node's log". */
  @Test
  void identityAndKindRefusalsSayWhatToDo() {
    assertEquals("error: PERMISSION_DENIED ROLE_REQUIRED: no admin role (your identity lacks the role this call needs:"
        + " admin)", ErrorMessages.line(FlashSaleException.from(
            Errors.error(ErrorReason.ROLE_REQUIRED, "no admin role", Map.of("required", "admin")))));
    assertEquals("error: UNAUTHENTICATED CREDENTIALS_MISSING: no credentials (this call needs an identity: give"
        + " --token-file (or FLASHSALE_TOKEN) or --tls-cert/--tls-key)", ErrorMessages.line(FlashSaleException.from(
            Errors.error(ErrorReason.CREDENTIALS_MISSING, "no credentials"))));
    assertEquals("error: FAILED_PRECONDITION WRONG_EVENT_KIND: event art is an auction (wrong command for this event:"
        + " 'flashsale bid' for an auction, 'flashsale purchase' or 'flashsale reserve' for the rest; 'flashsale event"
        + " get' shows its kind)", ErrorMessages.line(FlashSaleException.from(
            Errors.error(ErrorReason.WRONG_EVENT_KIND, "event art is an auction"))));
  }

  /**
   * A handshake refused on a certificate cannot be fixed by a retry; one cut short or timed out
   * (Netty's own SSLHandshakeExceptions) can: only the first counts as refused (exit 2, not 3).
   */
  @org.junit.jupiter.api.Test
  void onlyACertificateRefusalIsATlsRefusal() {
    var badCertificate = new javax.net.ssl.SSLHandshakeException("PKIX path building failed");
    var timedOut = new io.grpc.netty.shaded.io.netty.handler.ssl.SslHandshakeTimeoutException("handshake timed out after 10000ms");
    var cutShort = new javax.net.ssl.SSLHandshakeException("Connection closed while SSL/TLS handshake was in progress") {};
    org.junit.jupiter.api.Assertions.assertTrue(ErrorMessages.tlsRefused(unavailable(badCertificate)));
    org.junit.jupiter.api.Assertions.assertFalse(ErrorMessages.tlsRefused(unavailable(timedOut)));
    org.junit.jupiter.api.Assertions.assertTrue(ErrorMessages.tlsRefused(unavailable(cutShort)),
        "an SSLHandshakeException of another class still counts");
  }

  private static flashsale.client.FlashSaleException unavailable(Throwable cause) {
    return new flashsale.client.FlashSaleException(io.grpc.Status.Code.UNAVAILABLE, "", "io exception", cause);
  }
}
