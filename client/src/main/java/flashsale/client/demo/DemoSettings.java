package flashsale.client.demo;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the demo simulates.
 *
 * @param redisUri the arbiter's store; null for the embedded in-memory store
 * @param nearDelayMillis one-way delay between the near region and the arbiter
 * @param farDelayMillis one-way delay between the far region and the arbiter
 * @param farClockSkew how far the far region's clock is off (within the tolerated skew)
 * @param users buyers, each sends one purchase; half live in each region
 * @param burst how long the burst of purchases takes to arrive
 */
public record DemoSettings(
    String redisUri,
    long nearDelayMillis,
    long farDelayMillis,
    Duration farClockSkew,
    int stock,
    int users,
    Duration burst,
    long clockBoundMicros,
    Path htmlReport) {

  public static DemoSettings defaults() {
    return new DemoSettings(
        null, 1, 30, Duration.ofNanos(300_000), 200, 2_000, Duration.ofMillis(500), 1_000, Path.of("flashsale-report.html"));
  }

  public DemoSettings {
    if (stock < 1 || users < 2) throw new IllegalArgumentException("need stock >= 1 and users >= 2");
    if (nearDelayMillis < 0 || farDelayMillis < 0) throw new IllegalArgumentException("delays must be >= 0");
  }
}
