package flashsale.client.demo;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the demo simulates.
 *
 * @param redisUri a loopback Redis for the arbiter's store and the CENTRAL/SHARDED stores; null to
 *     use the embedded in-memory store (and a throw-away redis-server for the other modes, if one
 *     is installed)
 * @param nearDelayMillis one-way delay between the near region and the arbiter
 * @param farDelayMillis one-way delay between the far region and the arbiter (and central store)
 * @param farClockSkew how far the far region's clock is off (within the tolerated skew)
 * @param perRegion purchases per region in each mode's burst, one per user
 * @param spread how long each region's sends are spread over
 * @param farLead how much earlier the far region's users start sending
 */
public record DemoSettings(
    String redisUri,
    long nearDelayMillis,
    long farDelayMillis,
    Duration farClockSkew,
    int stock,
    int perRegion,
    Duration spread,
    Duration farLead,
    long seed,
    long clockBoundMicros,
    Path htmlReport) {

  public DemoSettings {
    if (stock < 1 || perRegion < 1) throw new IllegalArgumentException("need stock >= 1 and purchases per region >= 1");
    if (nearDelayMillis < 0 || farDelayMillis < 0) throw new IllegalArgumentException("delays must be >= 0");
  }
}
