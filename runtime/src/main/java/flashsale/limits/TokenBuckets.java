package flashsale.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Token buckets by key (a user id, a client address): each key may take {@code burst} tokens at
 * once and gets {@code perSecond} back each second. Pure: time is passed in, never read. The keys
 * live in a bounded cache: a bucket left alone long enough to refill is dropped (a fresh one is
 * the same), and beyond {@code maxKeys} the least useful are dropped, so a million user ids cannot
 * grow the heap without bound. A dropped bucket comes back full: the bound trades a little
 * leniency toward rarely seen keys for memory. Not thread-safe: the region loop owns it.
 */
public final class TokenBuckets {
  private final double tokensPerMicro;
  private final double burst;
  private final Cache<String, Bucket> buckets;
  /** The cache's clock: the latest time passed in. */
  private long nowNanos;

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
    long refillMicros = (long) Math.ceil(burst / tokensPerMicro);
    this.buckets = Caffeine.newBuilder()
        .maximumSize(maxKeys)
        .expireAfterAccess(Duration.ofNanos(Math.multiplyExact(refillMicros, 1000L)))
        .executor(Runnable::run) // no maintenance threads: the caller's thread does it
        .ticker(() -> nowNanos)
        .build();
  }

  /**
   * Takes a token from {@code key}'s bucket at {@code nowMicros}: 0 when there was one, else the
   * microseconds until there will be (nothing taken). Time going backwards refills nothing.
   */
  public long take(String key, long nowMicros) {
    nowNanos = Math.max(nowNanos, Math.multiplyExact(nowMicros, 1000L));
    Bucket b = buckets.get(key, k -> new Bucket(burst, nowMicros));
    if (nowMicros > b.lastMicros) {
      b.tokens = Math.min(burst, b.tokens + (nowMicros - b.lastMicros) * tokensPerMicro);
      b.lastMicros = nowMicros;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - b.tokens) / tokensPerMicro));
  }

  /**
   * Returns a token {@link #take} gave {@code key} for a call refused after all (by another
   * limit), so the refusal costs it nothing; a bucket since dropped is full anyway.
   */
  public void giveBack(String key) {
    Bucket b = buckets.getIfPresent(key);
    if (b != null) b.tokens = Math.min(burst, b.tokens + 1);
  }

  /** Buckets held now (after dropping the expired ones). */
  public long keys() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
