package flashsale.arbiter.cluster;

/**
 * Timings of the leader lease.
 *
 * @param ttlMs how long a lease lives in Redis after its last renewal; a killed leader is replaced
 *     at most this plus {@code renewIntervalMs} later (plus rebuild and reconnect time)
 * @param renewIntervalMs how often the leader renews and a standby tries to acquire
 */
public record LeaseSettings(long ttlMs, long renewIntervalMs) {

  public static LeaseSettings defaults() {
    return new LeaseSettings(2_000, 500);
  }

  public LeaseSettings {
    if (renewIntervalMs < 1 || ttlMs < 2 * renewIntervalMs) {
      throw new IllegalArgumentException(
          "need 1 <= renewIntervalMs <= ttlMs / 2, got ttl " + ttlMs + " ms, renew every " + renewIntervalMs + " ms");
    }
  }

  /**
   * How long after the start of a successful renewal the leader still trusts its lease: the TTL
   * less one renew interval, so a leader whose clock runs a little slow, or whose process is
   * paused, gives up before the lease can have expired in Redis.
   */
  public long trustedMs() {
    return ttlMs - renewIntervalMs;
  }
}
