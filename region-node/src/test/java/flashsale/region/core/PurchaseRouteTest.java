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
    assertInstanceOf(PurchaseRoute.ToSequencer.class, core.route(buy("global", "ann", "r1", 1), 1_500_000, soldHere));
    assertInstanceOf(PurchaseRoute.ToSequencer.class, core.route(buy("nowhere", "ann", "r2", 1), 1_500_000, soldHere));
  }

  @Test
  void aModeSoldHereGoesToItsSellerStampedAtItsRead() {
    var central = assertInstanceOf(PurchaseRoute.ToSeller.class, core.route(buy("central", "ann", "r1", 1), 1_400_000, soldHere));
    assertEquals("central", central.spec().eventId());
    assertEquals(1_400_000, central.stampMicros());
    var sharded = assertInstanceOf(PurchaseRoute.ToSeller.class, core.route(buy("sharded", "bob", "r2", 1), 1_400_000, soldHere));
    assertEquals(1_400_001, sharded.stampMicros(), "stamps stay strictly increasing across sellers");
  }

  @Test
  void aModeNotSoldHereGoesToTheSequencerWhoseRulesRefuseIt() {
    assertInstanceOf(PurchaseRoute.ToSequencer.class,
        core.route(buy("central", "ann", "r1", 1), 1_500_000, EnumSet.of(SaleMode.SHARDED)));
  }

  @Test
  void aBidOnAModeSoldHereIsRefusedAsTheWrongKind() {
    var bid = new BuyRequest("central", "ann", "r1", 1, List.of(), Optional.of(new BuyRequest.Bid(500, "USD")));
    var refused = assertInstanceOf(PurchaseRoute.Refused.class, core.route(bid, 1_500_000, soldHere));
    assertEquals(ErrorReason.WRONG_EVENT_KIND, refused.failure().reason());
  }
}
