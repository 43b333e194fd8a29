package flashsale.arbiter.cluster;

/**
 * Timings of the leader lease.
 *
 * @param ttlMs how long a lease lives in Redis after its last renewal; a killed leader is replaced
 *     at most this plus {@code renewIntervalMs} later (plus recovery and reconnect time), and a
 *     leader with no successful renewal for this long steps down. Regions should drop a silent
 *     stream after about as long ({@code --arbiter-silence-timeout-ms}).
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
}
