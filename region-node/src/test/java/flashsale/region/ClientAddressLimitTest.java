package flashsale.region;

import static flashsale.region.RegionFixture.assertError;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.core.BuyerLimits;
import flashsale.sale.ErrorReason;
import flashsale.v1.GetEventRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/**
 * The per-address limit over gRPC: a call carries its client's address only when that limit is on,
 * and then the address's look-ups and purchases share one bucket.
 */
class ClientAddressLimitTest {
  private static final GetEventRequest SHOES = GetEventRequest.newBuilder().setEventId("shoes").build();

  @Test
  void withTheAddressLimitOnTheThirdLookUpBeyondABurstOfTwoIsRateLimited() throws Exception {
    var limits = new BuyerLimits.Settings(0, 1, 0.001, 2, 20, 1_000);
    try (var f = new RegionFixture(RegionFixture.config().buyerLimits(limits).build(), InstantSource.system())) {
      f.blocking().getEvent(SHOES);
      f.blocking().getEvent(SHOES);
      StatusRuntimeException limited = assertError(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
          () -> f.blocking().getEvent(SHOES));
      String text = limited.getStatus().getDescription();
      // the call carried its transport's address: "client address <address> is over ...", never an empty one
      assertTrue(text.startsWith("client address ") && !text.startsWith("client address  "), text);
    }
  }

  @Test
  void purchaseLookUpsShareTheAddressBucket() throws Exception {
    var limits = new BuyerLimits.Settings(0, 1, 0.001, 2, 20, 1_000);
    var lookUp = flashsale.v1.GetPurchaseRequest.newBuilder().setEventId("shoes").setRequestId("made-up").build();
    try (var f = new RegionFixture(RegionFixture.config().buyerLimits(limits).build(), InstantSource.system())) {
      for (int i = 0; i < 2; i++) {
        assertError(Status.Code.NOT_FOUND, ErrorReason.PURCHASE_NOT_FOUND, () -> f.blocking().getPurchase(lookUp));
      }
      assertError(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED, () -> f.blocking().getPurchase(lookUp));
    }
  }

  /** A purchase of an event the region does not know is a question to the arbiter: it takes the address's token. */
  @Test
  void purchasesOfMadeUpEventsShareTheAddressBucket() throws Exception {
    var limits = new BuyerLimits.Settings(0, 1, 0.001, 2, 20, 1_000);
    try (var f = new RegionFixture(RegionFixture.config().buyerLimits(limits).build(), InstantSource.system())) {
      for (int i = 0; i < 2; i++) {
        int n = i;
        assertError(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND,
            () -> f.blocking().purchase(RegionFixture.request("made-up-" + n, "u" + n, "r" + n, 1)));
      }
      assertError(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.RATE_LIMITED,
          () -> f.blocking().purchase(RegionFixture.request("made-up-2", "u2", "r2", 1)));
      org.junit.jupiter.api.Assertions.assertEquals(2, f.arbiter.lookupCalls.get(), "look-ups that reached the arbiter");
    }
  }

  /** A purchase of a real event the region was not yet told of pays its address one token, not two. */
  @Test
  void aPurchaseOfAnEventNotYetAnnouncedPaysOneAddressToken() throws Exception {
    var limits = new BuyerLimits.Settings(0, 1, 0.001, 1, 20, 1_000);
    try (var f = new RegionFixture(RegionFixture.config().buyerLimits(limits).build(), InstantSource.system())) {
      f.arbiter.lookupOnly.put("boots", RegionFixture.event("boots", java.time.Duration.ofHours(-1),
          java.time.Duration.ofHours(1), java.util.List.of(RegionFixture.REGION, "us")));
      var purchase = f.future().purchase(RegionFixture.request("boots", "u1", "r1", 1));
      org.junit.jupiter.api.Assertions.assertEquals("r1", f.stream.nextTicket().getRequestId(),
          "ticketed, not refused: " + (purchase.isDone() ? purchase : "pending"));
    }
  }

  @Test
  void withTheAddressLimitOffLookUpsAreNotCountedPerAddress() throws Exception {
    var limits = new BuyerLimits.Settings(0, 1, 0, 2, 20, 1_000);
    try (var f = new RegionFixture(RegionFixture.config().buyerLimits(limits).build(), InstantSource.system())) {
      for (int i = 0; i < 10; i++) f.blocking().getEvent(SHOES);
    }
  }
}
