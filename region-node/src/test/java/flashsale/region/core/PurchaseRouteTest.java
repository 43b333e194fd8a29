package flashsale.region.core;

import static flashsale.region.core.Specs.buy;
import static flashsale.region.core.Specs.open;
import static flashsale.region.core.Specs.withMode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import flashsale.sale.ErrorReason;
import flashsale.sale.SaleMode;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which purchases this region's own sellers take, and which go to the sequencer. */
class PurchaseRouteTest {
  private final FakeClock clock = new FakeClock(1_500_000);
  private final RegionCore core = new RegionCore(Specs.REGION, 100, 1000, clock);
  private final Set<SaleMode> soldHere = EnumSet.of(SaleMode.CENTRAL, SaleMode.SHARDED);

  PurchaseRouteTest() {
    core.eventAnnounced(open("global"));
    core.eventAnnounced(withMode("central", SaleMode.CENTRAL));
    core.eventAnnounced(withMode("sharded", SaleMode.SHARDED));
  }

  @Test
  void globalOrderAndUnknownEventsGoToTheSequencer() {
    assertInstanceOf(PurchaseRoute.ToSequencer.class, core.route(buy("global", "ann", "r1", 1), 1_500_000, soldHere, ""));
    assertInstanceOf(PurchaseRoute.ToSequencer.class, core.route(buy("nowhere", "ann", "r2", 1), 1_500_000, soldHere, ""));
  }

  @Test
  void aModeSoldHereGoesToItsSellerStampedAtItsRead() {
    var central = assertInstanceOf(PurchaseRoute.ToSeller.class, core.route(buy("central", "ann", "r1", 1), 1_400_000, soldHere, ""));
    assertEquals("central", central.spec().eventId());
    assertEquals(1_400_000, central.stampMicros());
    var sharded = assertInstanceOf(PurchaseRoute.ToSeller.class, core.route(buy("sharded", "bob", "r2", 1), 1_400_000, soldHere, ""));
    assertEquals(1_400_001, sharded.stampMicros(), "stamps stay strictly increasing across sellers");
  }

  @Test
  void aModeNotSoldHereGoesToTheSequencerWhoseRulesRefuseIt() {
    assertInstanceOf(PurchaseRoute.ToSequencer.class,
        core.route(buy("central", "ann", "r1", 1), 1_500_000, EnumSet.of(SaleMode.SHARDED), ""));
  }

  @Test
  void aBidOnAModeSoldHereIsRefusedAsTheWrongKind() {
    var bid = new BuyRequest("central", "ann", "r1", 1, List.of(), Optional.of(new BuyRequest.Bid(500, "USD")));
    var refused = assertInstanceOf(PurchaseRoute.Refused.class, core.route(bid, 1_500_000, soldHere, ""));
    assertEquals(ErrorReason.WRONG_EVENT_KIND, refused.failure().reason());
  }

  @Test
  void aSellersPurchasesCountAgainstTheBuyersRateLimitsAndOthersStillBuy() {
    RegionCore limited = new RegionCore(Specs.REGION, 100, 1000, clock, StampUncertainty.defaults(),
        new BuyerLimits.Settings(10, 2, 0, 1, 100, 1000));
    limited.eventAnnounced(withMode("central", SaleMode.CENTRAL));
    limited.eventAnnounced(withMode("sharded", SaleMode.SHARDED));
    long t = 1_500_000;
    assertInstanceOf(PurchaseRoute.ToSeller.class, limited.route(buy("central", "abuser", "a1", 1), t, soldHere, ""));
    assertInstanceOf(PurchaseRoute.ToSeller.class, limited.route(buy("sharded", "abuser", "a2", 1), t + 1, soldHere, ""));
    var over = assertInstanceOf(PurchaseRoute.Limited.class,
        limited.route(buy("central", "abuser", "a3", 1), t + 2, soldHere, ""));
    assertEquals(ErrorReason.RATE_LIMITED, over.failure().reason(), over.failure().message());
    assertEquals("100", over.failure().metadata().get(BuyerLimits.RETRY_DELAY_MS));
    assertEquals("central", over.spec().eventId());
    // A retry counts too: only the seller's store can tell it from a new purchase.
    assertInstanceOf(PurchaseRoute.Limited.class, limited.route(buy("sharded", "abuser", "a2", 1), t + 3, soldHere, ""));
    var bob = assertInstanceOf(PurchaseRoute.ToSeller.class, limited.route(buy("central", "bob", "b1", 1), t + 4, soldHere, ""));
    assertEquals(t + 4, bob.stampMicros(), "refusals took no stamps: the next purchase keeps its read time");
    // 10 a second: 100 ms later the abuser has one purchase again.
    assertInstanceOf(PurchaseRoute.ToSeller.class, limited.route(buy("central", "abuser", "a4", 1), t + 100_004, soldHere, ""));
  }

  @Test
  void theSequencersPurchasesAreNotCountedWhenRouted() {
    RegionCore limited = new RegionCore(Specs.REGION, 100, 1000, clock, StampUncertainty.defaults(),
        new BuyerLimits.Settings(10, 1, 0, 1, 100, 1000));
    limited.eventAnnounced(open("global"));
    for (int i = 0; i < 3; i++) {
      assertInstanceOf(PurchaseRoute.ToSequencer.class,
          limited.route(buy("global", "ann", "r" + i, 1), 1_500_000 + i, soldHere, ""));
    }
    // the core counts it once, after looking its request id up
    assertInstanceOf(Admission.Ticketed.class, limited.purchaseValidated(buy("global", "ann", "r0", 1), 1_500_010, ""));
  }
}
