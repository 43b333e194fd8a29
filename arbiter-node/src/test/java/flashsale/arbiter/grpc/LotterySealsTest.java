package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.AuctionRules;
import flashsale.sale.EventSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lottery's seed stays secret while any ticket stamped inside the event may still be ranked. */
class LotterySealsTest {
  private static final long END = 10_000_000;
  private static final long CAP = 5_000_000;

  @Test
  void aSoftCloseAuctionsSeedIsRevealedOnlyOncePastItsLatestClose() {
    EventSpec auction = EventSpec.auction("art", "painting", new AuctionRules(1, 100, 10, "EUR", 1_000_000, CAP),
        0, END, List.of("near", "far"), 7);

    assertEquals("", LotterySeals.of(auction, END).getSeed(), "past the end, bids may still extend the close");
    assertEquals("", LotterySeals.of(auction, END + CAP - 1).getSeed());
    assertTrue(LotterySeals.of(auction, END + CAP).getSeed().matches("[0-9a-f]{16}"));
  }

  @Test
  void aHardCloseAuctionsSeedIsRevealedAtItsEnd() {
    EventSpec hardClose = EventSpec.auction("art", "painting", AuctionRules.hardClose(1, 100, 10, "EUR"), 0, END,
        List.of("near"), 7);

    assertEquals("", LotterySeals.of(hardClose, END - 1).getSeed());
    assertTrue(LotterySeals.of(hardClose, END).getSeed().matches("[0-9a-f]{16}"));
  }
}
