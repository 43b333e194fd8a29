package flashsale.sale;

import java.util.Objects;

/**
 * The arbiter's answer to one bid.
 *
 * @param amountToBeatMinor OUTBID or TOO_LOW: the least amount that would have been accepted at
 *     the bid's turn; 0 otherwise
 * @param closeMicros the auction's close as it stood after this bid (a soft close may have moved it)
 */
public record BidVerdict(BidAnswer answer, long amountToBeatMinor, long closeMicros) {
  public BidVerdict {
    Objects.requireNonNull(answer, "answer");
    boolean toBeat = answer == BidAnswer.OUTBID || answer == BidAnswer.TOO_LOW;
    if (toBeat != (amountToBeatMinor > 0)) {
      throw new IllegalArgumentException(answer + " with amount to beat " + amountToBeatMinor);
    }
  }
}
