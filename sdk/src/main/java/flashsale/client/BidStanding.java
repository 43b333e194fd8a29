package flashsale.client;

import flashsale.v1.AuctionResult;
import flashsale.v1.BidAnswer;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.WinningBid;
import java.util.Comparator;

/**
 * Where a bid stands, which its decision alone does not say: the arbiter judges a bid when it is
 * ranked (its decision's {@code OUTCOME_WON} means "accepted as standing"), and whether it wins is
 * known only at the close. Read from the decision and the auction as a region shows it
 * ({@code GetEvent} or {@code WatchAuction}).
 */
public enum BidStanding {
  /** Refused when judged (outbid, too low, or after the close): it never stood. */
  NOT_ACCEPTED,
  /** Among the best bids now; it may still be outbid until the close. */
  STANDING,
  /** Accepted, then pushed out by better bids before the close. */
  OUTBID,
  /** Among the winners of the closed auction. */
  WON,
  /** Accepted, but not among the winners of the closed auction. */
  LOST_AT_CLOSE;

  /** True once nothing can change it: every answer but {@link #STANDING}. */
  public boolean settled() {
    return this != STANDING;
  }

  /**
   * The standing of {@code bid} in {@code auction} of {@code units} units. A view a little older
   * than the decision (a region learns of a bid's decision and of the standing it changed on
   * separate messages) may not list an accepted bid yet: the bid is taken as standing unless
   * {@code units} better bids stand, since a bid once pushed out never stands again.
   *
   * @throws IllegalArgumentException when {@code bid} is no auction bid
   */
  public static BidStanding of(PurchaseDecision bid, AuctionResult auction, int units) {
    if (!bid.hasBid()) throw new IllegalArgumentException("request " + bid.getRequestId() + " is no auction bid");
    if (bid.getBid().getAnswer() != BidAnswer.BID_ANSWER_ACCEPTED) return NOT_ACCEPTED;
    boolean listed = auction.getWinningBidsList().stream().anyMatch(w -> w.getRequestId().equals(bid.getRequestId()));
    if (auction.getClosed()) return listed ? WON : LOST_AT_CLOSE;
    if (listed) return STANDING;
    long better = auction.getWinningBidsList().stream().filter(w -> BEST_FIRST.compare(w, asWinning(bid)) < 0).count();
    return better >= units ? OUTBID : STANDING;
  }

  /** Amount descending, then the earlier stamp (the arbiter's further tie-breaks are not shown). */
  private static final Comparator<WinningBid> BEST_FIRST = Comparator.comparingLong(WinningBid::getAmountMinor).reversed()
      .thenComparingLong(w -> ProtoTimes.micros(w.getArrivalTime()));

  private static WinningBid asWinning(PurchaseDecision bid) {
    return WinningBid.newBuilder().setRequestId(bid.getRequestId()).setAmountMinor(bid.getBid().getAmountMinor())
        .setArrivalTime(bid.getArrivalTime()).build();
  }
}
