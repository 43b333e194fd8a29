package flashsale.arbiter.grpc;

import flashsale.limits.TokenBuckets;
import flashsale.credentials.Principal;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import java.time.Duration;
import java.util.Map;

/**
 * How many events each admin identity may create: a token bucket per identity, so one leaked
 * credential cannot fill the live-event index that every new leader loads. Calls come from gRPC's
 * threads, hence the lock; the clock is passed in.
 */
public final class AdminEventQuota {
  /** Enough for any real schedule of sales; far below the thousands a junk script creates. */
  public static final double DEFAULT_PER_MINUTE = 60;
  public static final int DEFAULT_BURST = 100;
  private static final long MAX_IDENTITIES = 10_000;

  private final TokenBuckets buckets; // null: no quota

  /** @param perMinute 0 turns the quota off */
  public AdminEventQuota(double perMinute, int burst) {
    this.buckets = perMinute <= 0 ? null : new TokenBuckets(perMinute / 60, burst, MAX_IDENTITIES);
  }

  /** Takes one creation from {@code creator}'s quota, or refuses with RESOURCE_EXHAUSTED and a retry delay. */
  synchronized void charge(Principal creator, long nowMicros) {
    if (buckets == null) return;
    long waitMicros = buckets.take(creator.via() + ":" + creator.name(), nowMicros);
    if (waitMicros == 0) return;
    throw Errors.error(ErrorReason.RATE_LIMITED, creator.name() + " created events faster than the quota allows; retry in "
        + Math.max(1, waitMicros / 1000) + " ms", Map.of("identity", creator.name()), Duration.ofNanos(waitMicros * 1000));
  }
}
