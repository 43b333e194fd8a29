package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a caller learns from a refusal: the delay a rate limit asked for travels with it, also per request. */
class FlashSaleExceptionTest {
  @Test
  void aRefusalsRetryDelayIsKeptAndCopiedToEachRequestsFailure() {
    var refused = FlashSaleException.from(
        Errors.error(ErrorReason.RATE_LIMITED, "user over its rate", Map.of(), Duration.ofMillis(250)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.code());
    assertEquals(Optional.of(Duration.ofMillis(250)), refused.retryDelay());
    assertEquals(Optional.of(Duration.ofMillis(250)), refused.forRequest("r1").retryDelay());
  }

  @Test
  void noDelayIsInventedWhenTheServerSaidNone() {
    assertEquals(Optional.empty(), FlashSaleException.from(Errors.error(ErrorReason.EVENT_ENDED, "over")).retryDelay());
    assertEquals(Optional.empty(), FlashSaleException.from(Status.UNAVAILABLE.asRuntimeException()).retryDelay());
  }
}
