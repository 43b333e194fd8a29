package flashsale.region.core;

import java.util.random.RandomGenerator;

/**
 * Delays between reconnect attempts: doubling from {@code minDelayMs} up to {@code maxDelayMs},
 * each drawn uniformly from the upper half of the current step so that regions cut off together
 * do not all come back in the same millisecond.
 */
public final class ReconnectBackoff {
  private final long minDelayMs;
  private final long maxDelayMs;
  private final RandomGenerator random;
  private long stepMs;

  public ReconnectBackoff(long minDelayMs, long maxDelayMs, RandomGenerator random) {
    if (minDelayMs < 1 || maxDelayMs < minDelayMs) {
      throw new IllegalArgumentException("need 1 <= minDelayMs <= maxDelayMs, got " + minDelayMs + ", " + maxDelayMs);
    }
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.random = random;
    this.stepMs = minDelayMs;
  }

  /** The delay before the next attempt, in [step/2, step]; the step then doubles up to the cap. */
  public long nextDelayMs() {
    long step = stepMs;
    stepMs = Math.min(maxDelayMs, stepMs * 2);
    long half = Math.max(1, step / 2);
    return half + random.nextLong(step - half + 1);
  }

  /** A connection worked: the next failure starts again from the minimum. */
  public void reset() {
    stepMs = minDelayMs;
  }
}
