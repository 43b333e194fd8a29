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
}
