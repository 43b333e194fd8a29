package flashsale.arbiter.core;

/**
 * Tunables of the sequencer.
 *
 * @param maxBatchSize most decisions in one persisted batch
 * @param maxClockSkewMicros a region whose measured offset provably exceeds this is flagged and
 *     its tickets are rejected
 * @param futureStampToleranceMicros a stamp further than maxClockSkew plus this ahead of the
 *     arbiter's clock is a protocol violation: the region is cut off
 * @param regionTimeoutMicros a region silent (no ticket, no watermark) for longer than this is
 *     left out of the frontier so the others keep selling; its tickets ranked past meanwhile come
 *     back late. 0 waits forever.
 * @param cachedDecisions durable decisions (and winners' unit counts) each event keeps in memory
 *     to answer retries at once; older ones are answered through the store, which refuses a
 *     decision that contradicts them
 * @param finishGraceMicros an event this long past its end with nothing pending leaves the
 *     sequencer (and the store's live index); a ticket of it arriving later is refused
 * @param maxErrorBoundMicros a ticket's uncertainty (clock error plus stamping bound) is ranked as
 *     at most this: the widest near-tie band is twice it, and each release waits for the other
 *     regions' watermarks to pass the ticket's stamp by its own bound plus this
 * @param maxTicketAgeMicros a new ticket stamped further than this behind the arbiter's clock (read
 *     in the region's time through its measured offset) is refused, not ranked: no region may hold
 *     a purchase back, or back-date one, past it. 0 turns the bound off. Above a takeover's length,
 *     so pending tickets resent to a new leader still rank
 */
public record SequencerConfig(
    int maxBatchSize,
    long maxClockSkewMicros,
    long futureStampToleranceMicros,
    long regionTimeoutMicros,
    int cachedDecisions,
    long finishGraceMicros,
    long maxErrorBoundMicros,
    long maxTicketAgeMicros) {

  public static final int DEFAULT_CACHED_DECISIONS = 20_000;
  /** The arbiter's production default for {@link #maxTicketAgeMicros}. */
  public static final long DEFAULT_MAX_TICKET_AGE_MICROS = 10_000_000;
  public static final long DEFAULT_FINISH_GRACE_MICROS = 10_000_000;

  /** The arbiter's production default for {@link #maxErrorBoundMicros}. */
  public static final long DEFAULT_MAX_ERROR_BOUND_MICROS = 1_000;

  /** Production defaults. */
  public static SequencerConfig defaults() {
    return new SequencerConfig(1024, 5_000, 1_000_000, 2_000_000, DEFAULT_MAX_ERROR_BOUND_MICROS)
        .withMaxTicketAgeMicros(DEFAULT_MAX_TICKET_AGE_MICROS);
  }

  public SequencerConfig withMaxTicketAgeMicros(long micros) {
    return new SequencerConfig(maxBatchSize, maxClockSkewMicros, futureStampToleranceMicros, regionTimeoutMicros,
        cachedDecisions, finishGraceMicros, maxErrorBoundMicros, micros);
  }

  /** Default caches and finish grace, with this near-tie cap, without the ticket age bound. */
  public SequencerConfig(int maxBatchSize, long maxClockSkewMicros, long futureStampToleranceMicros,
      long regionTimeoutMicros, long maxErrorBoundMicros) {
    this(maxBatchSize, maxClockSkewMicros, futureStampToleranceMicros, regionTimeoutMicros,
        DEFAULT_CACHED_DECISIONS, DEFAULT_FINISH_GRACE_MICROS, maxErrorBoundMicros, 0);
  }

  /** Stamps taken as exact (no near-tie band beyond equal stamps), as the ordering tests want them. */
  public SequencerConfig(
      int maxBatchSize, long maxClockSkewMicros, long futureStampToleranceMicros, long regionTimeoutMicros) {
    this(maxBatchSize, maxClockSkewMicros, futureStampToleranceMicros, regionTimeoutMicros, 0);
  }

  /** Without a region timeout: a silent region stalls its events' frontier until it speaks. */
  public SequencerConfig(int maxBatchSize, long maxClockSkewMicros, long futureStampToleranceMicros) {
    this(maxBatchSize, maxClockSkewMicros, futureStampToleranceMicros, 0);
  }

  public SequencerConfig {
    if (maxErrorBoundMicros < 0) throw new IllegalArgumentException("maxErrorBoundMicros < 0");
    if (regionTimeoutMicros < 0) throw new IllegalArgumentException("regionTimeoutMicros < 0");
    if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize < 1");
    if (maxClockSkewMicros < 0) throw new IllegalArgumentException("maxClockSkewMicros < 0");
    if (futureStampToleranceMicros < 0) throw new IllegalArgumentException("futureStampToleranceMicros < 0");
    if (cachedDecisions < 1) throw new IllegalArgumentException("cachedDecisions < 1");
    if (finishGraceMicros < 0) throw new IllegalArgumentException("finishGraceMicros < 0");
    if (maxTicketAgeMicros < 0) throw new IllegalArgumentException("maxTicketAgeMicros < 0");
  }
}
