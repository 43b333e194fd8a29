package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The one state rule both GetEvent APIs answer with (the arbiter once put SOLD_OUT before SCHEDULED). */
class SaleStateTest {
  static final long START = 1_000_000;
  static final long END = 2_000_000;
  static final EventSpec SPEC = new EventSpec("e", "shoes", 10, START, END, 1, List.of("near", "far"), SaleMode.GLOBAL_ORDER, 7);

  @Test
  void scheduledOpenSoldOutEnded() {
    assertEquals(SaleState.SCHEDULED, SaleState.at(SPEC, false, START - 1));
    assertEquals(SaleState.SCHEDULED, SaleState.at(SPEC, true, START - 1), "before the start, whatever else is known");
    assertEquals(SaleState.OPEN, SaleState.at(SPEC, false, START));
    assertEquals(SaleState.SOLD_OUT, SaleState.at(SPEC, OptionalLong.of(START + 5), START + 10));
    assertEquals(SaleState.SOLD_OUT, SaleState.at(SPEC, true, END + 1), "sold out stays what a buyer wants to know");
    assertEquals(SaleState.ENDED, SaleState.at(SPEC, false, END));
  }

  @Test
  void aSoftCloseAuctionTakesBidsUntilItsMovedCloseNotItsEnd() {
    EventSpec auction = EventSpec.auction("a", "painting", new AuctionRules(1, 100, 10, "EUR", 30_000, 600_000),
        START, END, List.of("near", "far"), 7);
    long movedCloseMicros = END + 30_000; // an accepted bid stamped within the window moved it
    assertEquals(SaleState.SCHEDULED, SaleState.ofAuction(auction, false, END, false, START - 1));
    assertEquals(SaleState.OPEN, SaleState.ofAuction(auction, false, movedCloseMicros, false, END));
    assertEquals(SaleState.OPEN, SaleState.ofAuction(auction, false, movedCloseMicros, false, movedCloseMicros - 1));
    assertEquals(SaleState.ENDED, SaleState.ofAuction(auction, false, movedCloseMicros, false, movedCloseMicros));
    assertEquals(SaleState.ENDED, SaleState.ofAuction(auction, false, movedCloseMicros, true, movedCloseMicros - 1),
        "its result is stored");
    assertEquals(SaleState.ENDED, SaleState.ofAuction(auction, false, END, false, END), "a close never moved");
  }
}
