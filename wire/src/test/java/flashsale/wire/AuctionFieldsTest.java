package flashsale.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.sale.AuctionRules;
import flashsale.v1.AuctionSettings;
import flashsale.v1.Event;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/**
 * The rules only a new auction must meet: CreateEvent refuses what breaks them, while a region
 * still takes an auction the arbiter stored before them.
 */
class AuctionFieldsTest {
  private static Event auction(int units) {
    return Event.newBuilder().setEventId("painting").setItem("painting").setStartTime(Times.timestamp(1_000_000))
        .setEndTime(Times.timestamp(2_000_000)).addRegions("near").setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)
        .setKind(EventKind.EVENT_KIND_AUCTION).setAuction(AuctionSettings.newBuilder().setUnits(units)
            .setReservePriceMinor(100).setMinIncrementMinor(10).setCurrencyCode("EUR"))
        .build();
  }

  @Test
  void moreUnitsThanTheBoundAreRefusedOnlyForANewAuction() {
    Event tooLarge = auction(AuctionRules.MAX_UNITS + 1);
    var refused = assertThrows(StatusRuntimeException.class, () -> EventValidator.validateNew(tooLarge));
    assertEquals("event.auction.units", Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
    EventValidator.validate(tooLarge); // stored before the bound: still read
    EventValidator.validateNew(auction(AuctionRules.MAX_UNITS));
  }

  @Test
  void aPerUserLimitIsRefusedForANewAuctionAndIgnoredInOneStoredBefore() {
    Event limited = auction(2).toBuilder().setPerUserLimit(1).build();
    var refused = assertThrows(StatusRuntimeException.class, () -> EventValidator.validateNew(limited));
    assertEquals("event.per_user_limit", Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
    // An earlier build required one: a region still takes that auction, where one user may win both units.
    EventValidator.validate(limited);
    assertEquals(2, WireMapping.fromProto(limited, 7).perUserLimit());
    assertEquals(0, WireMapping.toProto(WireMapping.fromProto(limited, 7)).getPerUserLimit(), "shown unset");
  }
}
