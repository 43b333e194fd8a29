package flashsale.arbiter.core;

/**
 * The ticket age bound read as a promise every region makes: from arbiter time {@code now} on, a
 * new ticket stamped at or below {@code now - maxTicketAge - maxClockSkew - 1} is refused as held
 * back (STAMP_OUT_OF_BOUNDS), whatever the region's clock offset within the skew bound, so it can
 * never be ranked ahead of a ticket released before it came. A region whose watermark stands
 * still (a bug, or whoever holds its certificate) thus holds the frontier back by the age bound at
 * most, not for as long as it keeps speaking. With no age bound configured (0) it promises nothing.
 * The age bound reads the arbiter's clock through {@link #clockMicros}, which never steps back. A
 * new leader's clock behind the old one's is not covered: see README, Known limits.
 */
final class AgeFloor {
  /** The age bound plus the tolerated skew; 0 for no bound. */
  private final long heldBackBoundMicros;

  AgeFloor(SequencerConfig config) {
    this.heldBackBoundMicros = config.maxTicketAgeMicros() > 0
        ? config.maxTicketAgeMicros() + config.maxClockSkewMicros() : 0;
  }

  /** The latest arbiter clock reading seen (this sequencer's term). */
  private long latestNowMicros = Long.MIN_VALUE;

  /**
   * The arbiter's clock as the age bound reads it: never back. Stepped back, it would take a ticket
   * stamped below a floor already released past, and rank it behind what came after it.
   */
  long clockMicros(long nowMicros) {
    latestNowMicros = Math.max(latestNowMicros, nowMicros);
    return latestNowMicros;
  }

  /** The highest stamp no ticket arriving from {@code nowMicros} on can be ranked at; {@link Long#MIN_VALUE} without a bound. */
  long floorMicros(long nowMicros) {
    return heldBackBoundMicros == 0 ? Long.MIN_VALUE : clockMicros(nowMicros) - heldBackBoundMicros - 1;
  }
}
