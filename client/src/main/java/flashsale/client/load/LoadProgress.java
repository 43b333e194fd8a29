package flashsale.client.load;

/**
 * A snapshot of a running load: requests planned, sent, answered and failed so far.
 *
 * @param elapsedMicros since the run started
 */
public record LoadProgress(int planned, long sent, long completed, long errors, long elapsedMicros) {
  /** Calls sent and not yet answered. */
  public long inFlight() {
    return sent - completed;
  }

  /** Answers per second so far. */
  public double completedPerSecond() {
    return elapsedMicros <= 0 ? 0 : completed * 1e6 / elapsedMicros;
  }
}
