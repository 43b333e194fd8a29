package flashsale.region.core;

/**
 * How far a stamp may be from the true arrival, as each ticket reports it: the region clock's error
 * bound plus the stamping bound. The clock's bound is the host time sync's own (chrony/ClockBound:
 * root dispersion + root delay / 2) when the operator passes it, otherwise the ClockBound rule on
 * this region's probes to the arbiter: |offset| + round trip / 2 + drift since the probe. Probes
 * across a WAN make the second large (half the round trip); the arbiter caps what it ranks with.
 *
 * @param hostClockBoundMicros the host sync's error bound, or {@link #FROM_PROBES}
 * @param stampBoundMicros the most a socket read may trail the bytes' arrival on this host
 * @param driftPpm the clock's worst-case drift, parts per million, for the probe rule
 */
public record StampUncertainty(long hostClockBoundMicros, long stampBoundMicros, long driftPpm) {
  public static final long FROM_PROBES = -1;
  /** Reported before any probe came back: larger than any cap, so the arbiter's cap applies. */
  public static final long UNKNOWN_CLOCK_BOUND_MICROS = 1_000_000;
  public static final long DEFAULT_STAMP_BOUND_MICROS = 500;
  /** Typical crystal oscillators stay within this; ClockBound's default is 15 ppm. */
  public static final long DEFAULT_DRIFT_PPM = 50;

  public StampUncertainty {
    if (hostClockBoundMicros < FROM_PROBES) throw new IllegalArgumentException("hostClockBoundMicros < -1");
    if (stampBoundMicros < 0) throw new IllegalArgumentException("stampBoundMicros < 0");
    if (driftPpm < 0) throw new IllegalArgumentException("driftPpm < 0");
  }

  /** Production defaults: the clock bound from probes, 500 µs of stamping bound, 50 ppm drift. */
  public static StampUncertainty defaults() {
    return new StampUncertainty(FROM_PROBES, DEFAULT_STAMP_BOUND_MICROS, DEFAULT_DRIFT_PPM);
  }

  /** Exact stamps (tests that rank by stamp alone). */
  public static StampUncertainty none() {
    return new StampUncertainty(0, 0, 0);
  }

  /** The bound for a ticket stamped now ({@code nowMicros}) given the probes so far. */
  public long boundMicros(ClockOffsetEstimator probes, long nowMicros) {
    return clockBoundMicros(probes, nowMicros) + stampBoundMicros;
  }

  private long clockBoundMicros(ClockOffsetEstimator probes, long nowMicros) {
    if (hostClockBoundMicros != FROM_PROBES) return hostClockBoundMicros;
    return probes.timedEstimate()
        .map(e -> Math.abs(e.sample().offsetMicros()) + e.sample().roundTripMicros() / 2
            + Math.max(0, nowMicros - e.receivedMicros()) * driftPpm / 1_000_000)
        .orElse(UNKNOWN_CLOCK_BOUND_MICROS);
  }
}
