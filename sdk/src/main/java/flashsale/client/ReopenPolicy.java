package flashsale.client;

import java.time.Duration;

/**
 * When a {@link PurchaseStream} whose stream broke with {@code UNAVAILABLE} opens a new one: after
 * a backoff that starts at {@code initialBackoff}, grows by {@code backoffMultiplier} per failed
 * reopen up to {@code maxBackoff} and is spread by {@code jitter} (0.2: ±20 %), as grpc-java backs
 * off its reconnects. The stream's own deadline bounds every reopen too.
 *
 * @param maxReopensInRow most new streams opened without an answer in between; an answer on a
 *     reopened stream, or a stream that stayed up for {@code maxBackoff}, starts the count again.
 *     0 never reopens.
 * @param initialBackoff wait before the first reopen
 * @param maxBackoff longest wait before one reopen (before jitter)
 * @param backoffMultiplier growth of the wait per reopen in a row, at least 1
 * @param jitter spread of each wait, from 0 (none) to 1 (anywhere from nothing to twice the wait)
 */
public record ReopenPolicy(int maxReopensInRow, Duration initialBackoff, Duration maxBackoff,
    double backoffMultiplier, double jitter) {

  /**
   * 10 reopens in a row, from 100 ms doubling up to 5 s, ±20 %: about 26 s of outage (a region
   * restart, the channel's own reconnect backoff of 1 s, 1.6 s, 2.6 s, ...) before giving up.
   */
  public static final ReopenPolicy DEFAULT =
      new ReopenPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.2);

  /** Never reopens: a broken stream fails every unanswered purchase (the SDK's behaviour before reopening). */
  public static final ReopenPolicy NEVER = new ReopenPolicy(0, Duration.ZERO, Duration.ZERO, 1.0, 0.0);

  public ReopenPolicy {
    if (maxReopensInRow < 0) throw new IllegalArgumentException("maxReopensInRow must be 0 or more, got " + maxReopensInRow);
    if (initialBackoff.isNegative() || maxBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("backoffs must be 0 or more, initial <= max, got initial " + initialBackoff
          + ", max " + maxBackoff);
    }
    if (!(backoffMultiplier >= 1.0)) throw new IllegalArgumentException("backoffMultiplier must be at least 1, got " + backoffMultiplier);
    if (!(jitter >= 0.0 && jitter <= 1.0)) throw new IllegalArgumentException("jitter must be in [0, 1], got " + jitter);
  }

  /**
   * The wait before reopen number {@code inRow} (1 for the first after an answer), given
   * {@code random} in [0, 1).
   */
  public Duration backoff(int inRow, double random) {
    if (inRow < 1) throw new IllegalArgumentException("inRow counts from 1, got " + inRow);
    double nanos = Math.min(initialBackoff.toNanos() * Math.pow(backoffMultiplier, inRow - 1), maxBackoff.toNanos());
    return Duration.ofNanos((long) (nanos * (1 + jitter * (2 * random - 1))));
  }
}
