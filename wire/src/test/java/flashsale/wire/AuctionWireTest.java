package flashsale.wire;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.AuctionRules;
import flashsale.sale.AuctionStanding;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.v1.AuctionUpdate;
import flashsale.v1.GetEventResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** An auction's standing on the wire stays within what a gRPC client accepts, at the largest auction allowed. */
class AuctionWireTest {
  /** gRPC's default inbound message limit, which the SDK's channels keep. */
  private static final int GRPC_DEFAULT_MAX_INBOUND_BYTES = 4 * 1024 * 1024;

  @Test
  void theLargestStandingOfTheLargestAuctionFitsWellUnderTheClientsMessageLimit() {
    int units = AuctionRules.MAX_UNITS;
    long closeMicros = 253_402_300_799_999_999L; // 9999-12-31T23:59:59.999999Z: the longest timestamp
    List<String> regions = IntStream.range(0, EventValidator.MAX_REGIONS).mapToObj(i -> longest("r" + i, 64)).toList();
    EventSpec spec = EventSpec.auction(longest("e", 64), longest("i", 256),
        new AuctionRules(units, AuctionRules.MAX_AMOUNT_MINOR, 1, "EUR", 1, 1), 0, closeMicros - 1, regions, 7);
    List<Ticket> bids = new ArrayList<>();
    for (int i = 0; i < units; i++) { // every field as long as the API lets it be
      bids.add(Ticket.bid(spec.eventId(), longest("request-" + i, 128), longest("user-" + i, 64),
          AuctionRules.MAX_AMOUNT_MINOR, regions.get(i % regions.size()), closeMicros - 1, 0));
    }
    var result = AuctionWire.toProto(new AuctionStanding(closeMicros, bids, false));

    int replyBytes = GetEventResponse.newBuilder().setEvent(WireMapping.toProto(spec)).setAuction(result).build()
        .getSerializedSize();
    int updateBytes = AuctionUpdate.newBuilder().setEventId(spec.eventId()).setResult(result).build().getSerializedSize();
    int wellUnderBytes = GRPC_DEFAULT_MAX_INBOUND_BYTES * 3 / 4; // a quarter of the limit to spare
    assertTrue(replyBytes <= wellUnderBytes, "GetEvent reply of " + replyBytes + " bytes");
    assertTrue(updateBytes <= wellUnderBytes, "AuctionUpdate of " + updateBytes + " bytes");
    long closeBytes = 32; // the close time and the closed flag
    assertTrue(result.getSerializedSize() <= units * 290L + closeBytes, "standing of " + result.getSerializedSize()
        + " bytes: above the 290 bytes a bid that AuctionRules.MAX_UNITS is computed from");
  }

  private static String longest(String prefix, int length) {
    return prefix + "x".repeat(length - prefix.length());
  }
}
