package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.v1.FlashSaleServiceGrpc.FlashSaleServiceBlockingStub;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseRequest;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad purchases against a real cluster get the exact status and reason, and lose nobody's request. */
class BadInputEndToEndTest {
  static ClusterFixture fx;
  static FlashSaleServiceBlockingStub buyer;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", 5, Duration.ZERO)));
    buyer = fx.buyer("near").withDeadlineAfter(30, TimeUnit.SECONDS);
    fx.createEvent("open", 5, 0, 60_000);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  static PurchaseRequest.Builder purchase(String eventId, String requestId) {
    return PurchaseRequest.newBuilder().setEventId(eventId).setUserId("u-" + requestId).setRequestId(requestId).setQuantity(1);
  }

  static void assertFails(Status.Code code, String reason, PurchaseRequest request) {
    var e = assertThrows(StatusRuntimeException.class, () -> buyer.purchase(request));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(reason, Errors.reasonOf(e).orElse("<none>"), e.getStatus().toString());
  }

  @Test
  void invalidFieldsAreInvalidArgument() {
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("", "r1").build());
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("open", "r1").setUserId("").build());
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("open", "").build());
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("open", "x".repeat(200)).build());
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("open", "r1").setQuantity(0).build());
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("open", "r1").setQuantity(-3).build());
    assertFails(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", purchase("open", "r1").setQuantity(2).build());
  }

  @Test
  void unknownEventIsNotFound() {
    assertFails(Status.Code.NOT_FOUND, "EVENT_NOT_FOUND", purchase("no-such-event", "r2").build());
  }

  @Test
  void eventNotStartedOrEndedIsFailedPrecondition() throws Exception {
    fx.createEvent("later", 5, 3_600_000, 60_000);
    assertFails(Status.Code.FAILED_PRECONDITION, "EVENT_NOT_STARTED", purchase("later", "r3").build());
    fx.createEvent("brief", 5, 0, 300);
    Thread.sleep(400);
    assertFails(Status.Code.FAILED_PRECONDITION, "EVENT_ENDED", purchase("brief", "r4").build());
  }

  @Test
  void reusedRequestIdWithOtherContentIsAlreadyExistsAndTheFirstPurchaseStands() {
    var first = buyer.purchase(purchase("open", "dup-1").build()).getDecision();
    assertEquals(Outcome.OUTCOME_WON, first.getOutcome());
    assertFails(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", purchase("open", "dup-1").setUserId("someone-else").build());
    var again = buyer.getPurchase(GetPurchaseRequest.newBuilder().setEventId("open").setRequestId("dup-1").build());
    assertEquals(first, again.getDecision(), "the bad retry must not change the recorded decision");
    // and the node keeps serving
    assertEquals(Outcome.OUTCOME_WON, buyer.purchase(purchase("open", "after-bad").build()).getDecision().getOutcome());
  }

  @Test
  void unknownPurchaseIsNotFound() {
    var e =
        assertThrows(
            StatusRuntimeException.class,
            () -> buyer.getPurchase(GetPurchaseRequest.newBuilder().setEventId("open").setRequestId("never-sent").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("PURCHASE_NOT_FOUND", Errors.reasonOf(e).orElse("<none>"));
  }
}
