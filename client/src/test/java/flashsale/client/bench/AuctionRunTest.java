package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.client.bench.AuctionRun.Bid;
import flashsale.client.bench.AuctionRun.Rules;
import flashsale.v1.BidAnswer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The auction demo's judge: the auction's rule replayed over the wire order and a central store's. */
class AuctionRunTest {
  private static final Rules ONE_UNIT = new Rules(1, 100, 10);
  private static final long CLOSE = 1_000_000;

  private static Bid bid(String id, String region, long amount, long wireMicros, BidAnswer answer) {
    return new Bid(id, region, amount, wireMicros, answer);
  }

  @Test
  void aFarBidJustBeforeTheCloseWinsAtTheWireAndIsLostByACentralStore() {
    var bids = List.of(
        bid("near-early", "near", 200, CLOSE - 50_000, BidAnswer.BID_ANSWER_ACCEPTED),
        bid("far-last", "far", 300, CLOSE - 1_000, BidAnswer.BID_ANSWER_ACCEPTED),   // 1 ms before the close
        bid("near-late", "near", 400, CLOSE + 1_000, BidAnswer.BID_ANSWER_CLOSED));  // 1 ms after it
    var figures = AuctionRun.judge(bids, List.of("far-last"), ONE_UNIT, CLOSE, Map.of("near", 1L, "far", 30L), 5_000, Map.of());

    assertEquals(List.of("far-last"), figures.winnersByWire());
    assertEquals(1.0, figures.precision());
    assertEquals(List.of("near-early"), figures.winnersCentral(), "far-last reaches a central store 29 ms late");
    assertEquals(0.0, figures.centralPrecision());
    assertEquals(2, figures.onTimeAtWire());
    assertEquals(0, figures.onTimeRefused());
    assertEquals(0, figures.lateJudged());
    assertEquals(Map.of("far decided", 1, "far wire", 1, "far central", 0, "near decided", 0, "near wire", 0,
        "near central", 1), figures.winnersPerRegion());
  }

  @Test
  void theReplayKeepsTheIncrementRuleNotJustTheHighestAmounts() {
    // 105 arrives after 100 but does not beat it by the increment: 100 stands.
    var bids = List.of(
        bid("a", "near", 100, 10, BidAnswer.BID_ANSWER_ACCEPTED),
        bid("b", "far", 105, 20, BidAnswer.BID_ANSWER_OUTBID));
    assertEquals(List.of("a"), AuctionRun.replay(bids, Bid::wireMicros, ONE_UNIT, CLOSE));
    var two = new Rules(2, 100, 10);
    assertEquals(List.of("b", "a"), AuctionRun.replay(bids, Bid::wireMicros, two, CLOSE), "two units: both stand, best first");
  }

  @Test
  void anOnTimeBidRefusedAsClosedAndALateOneJudgedAreCounted() {
    var bids = List.of(
        bid("on-time", "far", 200, CLOSE - 10, BidAnswer.BID_ANSWER_CLOSED),
        bid("late", "near", 200, CLOSE + 10, BidAnswer.BID_ANSWER_ACCEPTED));
    var figures = AuctionRun.judge(bids, List.of("late"), ONE_UNIT, CLOSE, Map.of(), 0, Map.of());
    assertEquals(1, figures.onTimeRefused());
    assertEquals(1, figures.lateJudged());
    assertEquals(0.0, figures.precision());
  }

  @Test
  void onTimeBidsRefusedAsClosedAreToldByRegionWithHowLateTheirStampsWere() {
    var bids = List.of(
        new Bid("far-1", "far", 200, CLOSE - 300, BidAnswer.BID_ANSWER_CLOSED, CLOSE + 200),  // stamped 0.5 ms after its bytes
        new Bid("far-2", "far", 200, CLOSE - 100, BidAnswer.BID_ANSWER_CLOSED, CLOSE + 1_400), // 1.5 ms
        new Bid("near-1", "near", 200, CLOSE - 900, BidAnswer.BID_ANSWER_ACCEPTED, CLOSE - 800),
        new Bid("near-late", "near", 200, CLOSE + 50, BidAnswer.BID_ANSWER_CLOSED, CLOSE + 60)); // late: not counted
    var figures = AuctionRun.judge(bids, List.of("near-1"), ONE_UNIT, CLOSE, Map.of(), 0, Map.of());
    assertEquals(2, figures.onTimeRefused());
    assertEquals(Map.of("far", new AuctionRun.Figures.RefusedOnTime(2, 500, 1_500)), figures.onTimeRefusedByRegion());
    assertEquals(true, figures.describe().getFirst().endsWith("; of those refused: far 2, stamped 0.50-1.50 ms after their bytes arrived"),
        figures.describe().getFirst());
  }

  /**
   * A region refuses a bid stamped at or past the close with a message that names the stamp (as a
   * UTC instant since the messages became readable): the demo reads it back to say how late the
   * stamp was. It read "0.00 ms" for every refusal while it still looked for microseconds.
   */
  @Test
  void theRefusedBidsStampIsReadFromTheRegionsOwnMessage() {
    long closeMicros = 1_796_465_000_000_000L;
    var spec = new flashsale.sale.EventSpec("auction", "lamp", 1, closeMicros - 60_000_000, closeMicros, 1,
        List.of("far"), flashsale.sale.SaleMode.GLOBAL_ORDER, 7);
    for (long stamp : List.of(closeMicros, closeMicros + 259, closeMicros + 1_000_000)) {
      String message = flashsale.region.core.PurchaseRules.windowFailure(spec, stamp).orElseThrow().message();
      assertEquals(stamp, AuctionRun.refusedStampMicros(message), message);
    }
    assertEquals(0, AuctionRun.refusedStampMicros("event auction ended"));
    assertEquals(0, AuctionRun.refusedStampMicros(null));
  }
}
