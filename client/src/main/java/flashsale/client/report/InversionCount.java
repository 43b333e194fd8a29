package flashsale.client.report;

/**
 * Pairwise inversions of one run: among pairs of decided requests whose true arrival times differ
 * by more than the clock bound and that the system ordered ({@code comparedPairs}; two losses after
 * the last win are not ordered), how many were ranked against true order.
 */
public record InversionCount(long invertedPairs, long comparedPairs) {
  public InversionCount {
    if (invertedPairs < 0 || invertedPairs > comparedPairs) {
      throw new IllegalStateException(invertedPairs + " inverted out of " + comparedPairs + " pairs");
    }
  }

  /** Inverted share of the compared pairs, 0..1; NaN when no pair was far enough apart. */
  public double share() {
    return comparedPairs == 0 ? Double.NaN : (double) invertedPairs / comparedPairs;
  }
}
