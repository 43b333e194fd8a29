package flashsale.client.load;

/** How the load generator spreads a run's requests over its duration. */
public enum ArrivalPattern {
  /** Every request is due at once: the flash-sale spike, limited only by the in-flight cap. */
  BURST,
  /** The rate climbs linearly from zero to twice the nominal rate, so the average is the rate. */
  RAMP,
  /** Independent arrivals with exponential gaps at the nominal rate (a seeded Poisson process). */
  POISSON
}
