package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AbuseRunTest {
  @Test
  void theRawAbuserSendsAtItsRateAndCountsEveryAnswer() throws Exception {
    try (var server = NoopPurchaseServer.start()) {
      // 25,000 calls: more than one encoding chunk, so the HPACK state must carry across chunks.
      var abuser = new AbuseRun(0, 0, 12_500, Duration.ofSeconds(2)).abuseRaw("127.0.0.1", server.port(), "e");
      assertEquals(25_000, abuser.sent());
      assertEquals(Map.of("DECIDED", 25_000L), abuser.outcomes(), abuser.toString());
      assertTrue(abuser.sendingMicros() >= 1_900_000, "paced over the run, not all at once: " + abuser);
    }
  }
}
