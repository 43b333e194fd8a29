package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static flashsale.region.RegionFixture.assertError;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.EventKind;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.Slot;
import io.grpc.Status;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Refusals that name what the caller sent or what the event holds stay small enough to reach a
 * client: grpc-java (like grpc-js) drops trailers over 8 KiB and reports a transport error without
 * the reason. Over TCP to the region's production transport, a grpc-java client with its defaults.
 */
class OversizedEchoTest {

  @Test
  void aHugeCurrencyCodeIsRefusedAsInvalidNotLostInTransport() throws Exception {
    var arbiter = new FakeArbiter();
    try (var node = RegionFixture.OnSocket.startSellingShoes(arbiter)) {
      var bid = PlaceBidRequest.newBuilder().setEventId("shoes").setUserId("alice").setRequestId("b1")
          .setAmountMinor(100).setCurrencyCode("X".repeat(900_000)).build();
      var refused = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
          () -> FlashSaleServiceGrpc.newBlockingStub(node.client()).placeBid(bid));
      assertTrue(refused.getStatus().getDescription().length() < 2_000, refused.getStatus().getDescription().length() + " chars");
    }
  }

  @Test
  void aPurchaseWithoutSlotsOfAReservationOfThousandsIsToldWhichToName() throws Exception {
    var arbiter = new FakeArbiter();
    var slots = java.util.stream.IntStream.range(0, 1_000)
        .mapToObj(i -> Slot.newBuilder().setName(String.format("seat-%05d", i)).setCapacity(1).build()).toList();
    arbiter.announced.put("stadium", RegionFixture.event("stadium", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION))
        .toBuilder().setKind(EventKind.EVENT_KIND_RESERVATION).setStock(1_000).addAllSlots(slots).build());
    var config = RegionFixture.config().heartbeatIntervalMs(5).warmupPurchases(0).build();
    try (var node = RegionFixture.OnSocket.start(arbiter, config, InstantSource.system())) {
      var stub = FlashSaleServiceGrpc.newBlockingStub(node.client());
      var noSlots = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
          () -> stub.purchase(RegionFixture.request("stadium", "alice", "r1", 1)));
      assertTrue(noSlots.getStatus().getDescription().contains("seat-00000"), noSlots.getStatus().getDescription());
      assertTrue(noSlots.getStatus().getDescription().contains("990 more"), noSlots.getStatus().getDescription());
      assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
          () -> stub.purchase(RegionFixture.request("stadium", "alice", "r2", 1).toBuilder().addSlots("row-z").build()));
    }
  }
}
