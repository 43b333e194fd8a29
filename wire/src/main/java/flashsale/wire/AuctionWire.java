package flashsale.wire;

import flashsale.sale.AuctionStanding;
import flashsale.sale.Ticket;
import flashsale.v1.AuctionResult;
import flashsale.v1.WinningBid;

/** An auction's standing on the wire: the close and the standing bids, or the winners once closed. */
public final class AuctionWire {
  private AuctionWire() {}

  public static AuctionResult toProto(AuctionStanding standing) {
    AuctionResult.Builder result = AuctionResult.newBuilder()
        .setClosed(standing.closed())
        .setCloseTime(Times.timestamp(standing.closeMicros()));
    for (Ticket bid : standing.bids()) {
      result.addWinningBids(WinningBid.newBuilder()
          .setRequestId(bid.requestId())
          .setUserId(bid.userId())
          .setAmountMinor(bid.bidMinor())
          .setRegion(bid.region())
          .setArrivalTime(Times.timestamp(bid.stampMicros())));
    }
    return result.build();
  }
}
