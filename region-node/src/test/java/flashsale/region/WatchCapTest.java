package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import flashsale.sale.ErrorReason;
import flashsale.v1.WatchPurchaseRequest;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Watches of purchases still pending here count against the region's cap on open watches like any other. */
class WatchCapTest extends RegionFixtureTest {

  @Override
  protected RegionFixture newFixture() throws Exception {
    return new RegionFixture(RegionFixture.config().maxPending(2).build(), java.time.InstantSource.system());
  }

  private WatchPurchaseFlowTest.Watch watch(String requestId) {
    WatchPurchaseFlowTest.Watch w = new WatchPurchaseFlowTest.Watch();
    f.async().withDeadlineAfter(20, TimeUnit.SECONDS)
        .watchPurchase(WatchPurchaseRequest.newBuilder().setEventId("shoes").setRequestId(requestId).build(), w);
    return w;
  }

  @Test
  void watchesOfPendingPurchasesAreCountedAgainstTheCap() throws Exception {
    f.purchase("shoes", "alice", "a", 1);
    f.stream.nextTicket();
    f.purchase("shoes", "bob", "b", 1);
    f.stream.nextTicket();
    var first = watch("a");
    var second = watch("b");
    first.next(); // PENDING, and waiting for the decision
    second.next();
    var third = watch("a");
    third.awaitEnd();
    StatusRuntimeException refused = assertInstanceOf(StatusRuntimeException.class, third.error);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode(), refused.toString());
    assertEquals(Optional.of(ErrorReason.TOO_MANY_PENDING.name()), Errors.reasonOf(refused));
    assertNull(first.error, "the first two still watch");
  }
}
