package flashsale.arbiter.core;

/**
 * Tunables of the sequencer.
 *
 * @param maxBatchSize most decisions in one persisted batch
 * @param maxClockSkewMicros a region whose measured offset provably exceeds this is flagged and
 *     its tickets are rejected
 * @param futureStampToleranceMicros a stamp further than maxClockSkew plus this ahead of the
 *     arbiter's clock is a protocol violation: the region is cut off
 */
public record SequencerConfig(int maxBatchSize, long maxClockSkewMicros, long futureStampToleranceMicros) {

  public static SequencerConfig defaults() {
    return new SequencerConfig(1024, 5_000, 1_000_000);
  }

  public SequencerConfig {
    if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize < 1");
    if (maxClockSkewMicros < 0) throw new IllegalArgumentException("maxClockSkewMicros < 0");
    if (futureStampToleranceMicros < 0) throw new IllegalArgumentException("futureStampToleranceMicros < 0");
  }
}
