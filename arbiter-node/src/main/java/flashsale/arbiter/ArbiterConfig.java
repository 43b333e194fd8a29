package flashsale.arbiter;

import flashsale.arbiter.cluster.LeaseSettings;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.grpc.RegionSessions;

/**
 * Settings of one arbiter node.
 *
 * @param arbiterId this node's id ({@code --node-id}) in logs, the welcome message and the lease
 * @param redisUri {@code redis://host:port}, or null for an in-memory store (single process only)
 * @param advertise {@code host:port} at which regions reach this node; a standby names the
 *     leader's in its NOT_LEADER answers
 * @param maxClockSkewMicros a region whose clock is provably further off than this is not ranked
 * @param maxBatchSize most decisions persisted in one store call
 * @param maxInboundMessageBytes cap on any message a client or region sends
 * @param regionTimeoutMicros a region silent this long is left out of the frontier; 0 never
 * @param lease timings of the leader lease (used when the node runs on Redis with a lease)
 * @param centralRedisUri the Redis holding the central pool of CENTRAL events (in the design, the
 *     arbiter's own Redis), read for their counters and decision log; null when this node has none
 * @param maxErrorBoundMicros a ticket's stamp uncertainty is ranked as at most this (the near-tie band
 *     is at most twice it; every release waits this long past the ticket for the other regions)
 * @param adminEventsPerMinute events each admin identity may create per minute (0: no quota)
 * @param adminEventsBurst how many of those at once
 * @param regionStreamUnreadLimitMs a region node's stream that takes nothing more (not ready at every
 *     send) for this long is ended, so what it is sent cannot pile up here without bound
 * @param regionStreamUnreadLimitBytes the same stream is ended sooner once this many bytes of
 *     messages were sent to it since it last took more (at a high decision rate, long before the time
 *     limit)
 * @param authenticator checks every caller's certificate or token against {@code ArbiterAccess}; null
 *     for development (no checks, every caller holds every role: only with {@code --insecure})
 * @param maxTicketAgeMicros a ticket stamped further than this behind the arbiter's clock is refused,
 *     and every region counts as having promised that much (the frontier's age floor); 0 turns it off
 *     (benchmarks that hold purchases pending behind a region that never speaks)
 */
public record ArbiterConfig(
    String arbiterId,
    int port,
    String redisUri,
    String advertise,
    long maxClockSkewMicros,
    int maxBatchSize,
    int maxInboundMessageBytes,
    long regionTimeoutMicros,
    LeaseSettings lease,
    String centralRedisUri,
    long maxErrorBoundMicros,
    flashsale.security.Authenticator authenticator,
    double adminEventsPerMinute,
    int adminEventsBurst,
    long regionStreamUnreadLimitMs,
    long regionStreamUnreadLimitBytes,
    long maxTicketAgeMicros) {

  public ArbiterConfig {
    if (regionStreamUnreadLimitMs < 1) {
      throw new IllegalArgumentException("regionStreamUnreadLimitMs must be >= 1, got " + regionStreamUnreadLimitMs);
    }
    if (regionStreamUnreadLimitBytes < 1) {
      throw new IllegalArgumentException("regionStreamUnreadLimitBytes must be >= 1, got " + regionStreamUnreadLimitBytes);
    }
    if (maxTicketAgeMicros < 0) throw new IllegalArgumentException("maxTicketAgeMicros must be >= 0, got " + maxTicketAgeMicros);
  }

  public static ArbiterConfig defaults() {
    return new ArbiterConfig("arbiter-1", 9090, null, "127.0.0.1:9090", 5_000, 1024, 4 << 20, 2_000_000,
        LeaseSettings.defaults(), null, SequencerConfig.DEFAULT_MAX_ERROR_BOUND_MICROS, null, 0, 100,
        RegionSessions.UNREAD_LIMIT_MS, RegionSessions.UNREAD_LIMIT_BYTES, SequencerConfig.DEFAULT_MAX_TICKET_AGE_MICROS);
  }

  public ArbiterConfig withPort(int newPort) {
    return new ArbiterConfig(arbiterId, newPort, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  public ArbiterConfig withRedis(String uri) {
    return new ArbiterConfig(arbiterId, port, uri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  public ArbiterConfig withCentralRedis(String uri) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, uri, maxErrorBoundMicros, authenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  public ArbiterConfig withMaxClockSkewMicros(long micros) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, micros, maxBatchSize, maxInboundMessageBytes,
        regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  public ArbiterConfig withMaxErrorBoundMicros(long micros) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, micros, authenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  /** Checks every caller against {@code ArbiterAccess}; null turns checks off (development). */
  public ArbiterConfig withAuthenticator(flashsale.security.Authenticator newAuthenticator) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, newAuthenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  public ArbiterConfig withAdminEventQuota(double perMinute, int burst) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, perMinute,
        burst, regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  /** Ends a region node's stream that took nothing more for {@code limitMs} (see {@link RegionSessions#UNREAD_LIMIT_MS}). */
  public ArbiterConfig withRegionStreamUnreadLimitMs(long limitMs) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute,
        adminEventsBurst, limitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }

  /** Ends a region node's stream sooner once {@code limitBytes} were sent to it since it last took more. */
  public ArbiterConfig withRegionStreamUnreadLimitBytes(long limitBytes) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute,
        adminEventsBurst, regionStreamUnreadLimitMs, limitBytes, maxTicketAgeMicros);
  }

  public ArbiterConfig withMaxTicketAgeMicros(long micros) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, regionTimeoutMicros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute,
        adminEventsBurst, regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, micros);
  }

  public ArbiterConfig withRegionTimeoutMicros(long micros) {
    return new ArbiterConfig(arbiterId, port, redisUri, advertise, maxClockSkewMicros, maxBatchSize,
        maxInboundMessageBytes, micros, lease, centralRedisUri, maxErrorBoundMicros, authenticator, adminEventsPerMinute, adminEventsBurst,
        regionStreamUnreadLimitMs, regionStreamUnreadLimitBytes, maxTicketAgeMicros);
  }
}
