package flashsale.arbiter.grpc;

import flashsale.credentials.Principal;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import flashsale.store.ArbiterStore;
import java.time.Duration;
import java.util.Map;

/**
 * How many events each admin identity may create: a token bucket per identity, so one leaked
 * credential cannot fill the live-event index that every new leader loads. The bucket is the
 * store's ({@link ArbiterStore#takeEventCreation}), so every arbiter process on it, each partition
 * leader and each leader after a failover, draws on the same one.
 */
public final class AdminEventQuota {
  /** Enough for any real schedule of sales; far below the thousands a junk script creates. */
  public static final double DEFAULT_PER_MINUTE = 60;
  public static final int DEFAULT_BURST = 100;

  private final ArbiterStore store;
  private final double perSecond; // 0: no quota
  private final int burst;

  /** @param perMinute 0 turns the quota off */
  public AdminEventQuota(ArbiterStore store, double perMinute, int burst) {
    this.store = store;
    this.perSecond = Math.max(0, perMinute / 60);
    this.burst = burst;
  }

  /**
   * Takes one creation from {@code creator}'s quota, or refuses with RESOURCE_EXHAUSTED and a retry
   * delay. Blocks on the store.
   */
  void charge(Principal creator) {
    if (perSecond == 0) return;
    long waitMicros = store.takeEventCreation(creator.via() + ":" + creator.name(), perSecond, burst);
    if (waitMicros == 0) return;
    throw Errors.error(ErrorReason.RATE_LIMITED, creator.name() + " created events faster than the quota allows; retry in "
        + Math.max(1, waitMicros / 1000) + " ms", Map.of("identity", creator.name()), Duration.ofNanos(waitMicros * 1000));
  }
}
