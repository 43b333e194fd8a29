package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AbuserProcessTest {
  @ParameterizedTest
  @EnumSource(AbuserProcess.Client.class)
  void theChildJvmAbusesEachEventItIsGivenAndReportsEveryAnswer(AbuserProcess.Client client) throws Exception {
    var log = Files.createTempFile("abuser-process-", ".log");
    try (var server = NoopPurchaseServer.start();
        var abuser = AbuserProcess.start(client, server.target(), 200, Duration.ofMillis(500), log)) {
      for (String event : new String[] {"first", "second"}) {
        AbuseRun.Abuser result = abuser.abuse(event).get();
        assertEquals(100, result.sent(), event + ": " + result + "; log " + Files.readString(log));
        assertEquals(Map.of("DECIDED", 100L), result.outcomes(), event);
      }
    }
  }

  @Test
  void aResultLineRoundTrips() {
    var result = new AbuseRun.Abuser(45_000, Map.of("DECIDED", 334L, "RESOURCE_EXHAUSTED", 44_666L), 15_001_234, 15_000_100);
    assertEquals(result, AbuserProcess.parse(AbuserProcess.format(result)));
  }
}
