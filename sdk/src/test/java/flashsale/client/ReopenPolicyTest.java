package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ReopenPolicyTest {
  @Test
  void theDefaultWaitDoublesFrom100MsUpTo5sAndJitterSpreadsItByTwentyPercent() {
    ReopenPolicy policy = ReopenPolicy.DEFAULT;
    List<Long> middle = IntStream.rangeClosed(1, 10).mapToObj(n -> policy.backoff(n, 0.5).toMillis()).toList();
    assertEquals(List.of(100L, 200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L, 5000L, 5000L), middle);
    assertEquals(Duration.ofMillis(80), policy.backoff(1, 0.0));
    assertEquals(Duration.ofMillis(6000), policy.backoff(7, 1.0));
    assertEquals(26_300, middle.stream().mapToLong(Long::longValue).sum(), "the outage the default outlasts, in ms");
  }

  @Test
  void nonsenseIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new ReopenPolicy(-1, Duration.ZERO, Duration.ZERO, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ReopenPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1), 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ReopenPolicy(1, Duration.ZERO, Duration.ZERO, 0.5, 0));
    assertThrows(IllegalArgumentException.class, () -> new ReopenPolicy(1, Duration.ZERO, Duration.ZERO, 1, 1.5));
    assertThrows(IllegalArgumentException.class, () -> ReopenPolicy.DEFAULT.backoff(0, 0.5));
  }
}
