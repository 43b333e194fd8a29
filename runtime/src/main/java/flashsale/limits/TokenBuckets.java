package flashsale.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * Token buckets by key (a user id, a client address): each key may take {@code burst} tokens at
 * once and gets {@code perSecond} back each second. Pure: time is passed in, never read. The keys
 * live in a bounded cache: a bucket is dropped once it has refilled (a fresh one is the same; a
 * buyer who bought once is gone after one token's refill, not the whole burst's), and beyond
 * {@code maxKeys} the least useful are dropped, so a million user ids cannot grow the heap without
 * bound. A dropped bucket comes back full: the bound trades a little
 * leniency toward rarely seen keys for memory. Not thread-safe: the region loop owns it.
 */
public final class TokenBuckets {
  /** How far out of order the times passed in may come without changing an answer. */
  static final long OUT_OF_ORDER_GRACE_NANOS = 10_000_000;
  private final double tokensPerMicro;
  private final double burst;
  private final Cache<String, Bucket> buckets;
  /** The cache's clock: the latest time passed in. */
  private long nowNanos;
  /** What the take in progress answers (set inside the cache's compute). */
  private long waitMicros;

  private static final class Bucket {
    double tokens;
    long lastMicros;

    Bucket(double tokens, long lastMicros) {
      this.tokens = tokens;
      this.lastMicros = lastMicros;
    }
  }

  /**
   * @param perSecond tokens refilled per second; must be positive
   * @param burst most tokens a bucket holds (and takes at once); at least 1
   * @param maxKeys most buckets kept
   */
  public TokenBuckets(double perSecond, int burst, long maxKeys) {
    if (!(perSecond > 0)) throw new IllegalArgumentException("rate must be positive, got " + perSecond);
    if (burst < 1) throw new IllegalArgumentException("burst must be at least 1, got " + burst);
    if (maxKeys < 1) throw new IllegalArgumentException("max keys must be at least 1, got " + maxKeys);
    this.tokensPerMicro = perSecond / 1e6;
    this.burst = burst;
    this.buckets = Caffeine.newBuilder()
        .maximumSize(maxKeys)
        .expireAfter(new Expiry<String, Bucket>() {
          // A bucket is written (created or taken from) in compute below, after its tokens changed.
          @Override
          public long expireAfterCreate(String key, Bucket bucket, long currentTime) {
            return nanosUntilFull(bucket);
          }

          @Override
          public long expireAfterUpdate(String key, Bucket bucket, long currentTime, long currentDuration) {
            return nanosUntilFull(bucket);
          }

          @Override
          public long expireAfterRead(String key, Bucket bucket, long currentTime, long currentDuration) {
            return currentDuration;
          }
        })
        .executor(Runnable::run) // no maintenance threads: the caller's thread does it
        .ticker(() -> nowNanos)
        .build();
  }

  /**
   * Until the bucket is full, plus {@link #OUT_OF_ORDER_GRACE_NANOS}: the cache's clock is the
   * latest time passed in, and a take stamped a little earlier than it must still find the bucket.
   */
  private long nanosUntilFull(Bucket b) {
    return (long) Math.ceil((burst - b.tokens) / tokensPerMicro) * 1000L + OUT_OF_ORDER_GRACE_NANOS;
  }

  /**
   * Takes a token from {@code key}'s bucket at {@code nowMicros}: 0 when there was one, else the
   * microseconds until there will be (nothing taken). Time going backwards refills nothing.
   */
  public long take(String key, long nowMicros) {
    nowNanos = Math.max(nowNanos, Math.multiplyExact(nowMicros, 1000L));
    waitMicros = 0;
    // compute, not get: the expiry is set from the bucket as this take leaves it.
    buckets.asMap().compute(key, (k, b) -> {
      if (b == null) b = new Bucket(burst, nowMicros);
      if (nowMicros > b.lastMicros) {
        b.tokens = Math.min(burst, b.tokens + (nowMicros - b.lastMicros) * tokensPerMicro);
        b.lastMicros = nowMicros;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
      } else {
        waitMicros = Math.max(1, (long) Math.ceil((1 - b.tokens) / tokensPerMicro));
      }
      return b;
    });
    return waitMicros;
  }

  /** Buckets held now (after dropping the expired ones). */
  public long keys() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
