package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static flashsale.region.RegionFixture.assertError;
import static flashsale.region.RegionFixture.decision;
import static flashsale.region.RegionFixture.event;
import static flashsale.region.RegionFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import flashsale.v1.ClockVerdict;
import flashsale.v1.DecisionBatch;
import flashsale.v1.EventMode;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.Outcome;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Ticket;
import flashsale.sale.ErrorReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every bad input gets its exact status and ErrorInfo reason, and the node keeps serving. */
class PurchaseErrorsTest extends RegionFixtureTest {

  @Override
  protected RegionFixture newFixture() throws Exception {
    return new RegionFixture(RegionFixture.config().maxPending(3).build(), java.time.InstantSource.system());
  }

  @BeforeEach
  void addEvents() {
    f.arbiter.lookupOnly.put("soon", event("soon", Duration.ofHours(1), Duration.ofHours(2), List.of(REGION)));
    f.arbiter.lookupOnly.put("over", event("over", Duration.ofHours(-2), Duration.ofHours(-1), List.of(REGION)));
    f.arbiter.lookupOnly.put("faraway", event("faraway", Duration.ofHours(-1), Duration.ofHours(1), List.of("us")));
    f.arbiter.lookupOnly.put("sharded", event("sharded", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION),
        EventMode.EVENT_MODE_SHARDED));
  }


  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "empty event id        | ''            | alice | r1  | 1 | event_id",
      "event id with space   | 'sh oes'      | alice | r1  | 1 | event_id",
      "empty user id         | shoes         | ''    | r1  | 1 | user_id",
      "user id with slash    | shoes         | a/b   | r1  | 1 | user_id",
      "empty request id      | shoes         | alice | ''  | 1 | request_id",
      "request id with space | shoes         | alice | 'a b' | 1 | request_id",
      "zero quantity         | shoes         | alice | r1  | 0 | quantity",
      "quantity above limit  | shoes         | alice | r1  | 3 | quantity"})
  void invalidFieldIsInvalidArgumentNamingTheField(String name, String event, String user, String requestId,
      int quantity, String field) throws Exception {
    StatusRuntimeException e = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> f.blocking().purchase(request(event, user, requestId, quantity)));
    assertEquals(field, errorInfo(e).getMetadataOrThrow("field"));
    stillServes();
  }

  @Test
  void overlongIdsAreInvalid() throws Exception {
    StatusRuntimeException user = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> f.blocking().purchase(request("shoes", "u".repeat(65), "r1", 1)));
    assertEquals("user_id", errorInfo(user).getMetadataOrThrow("field"));
    StatusRuntimeException req = assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> f.blocking().purchase(request("shoes", "alice", "r".repeat(129), 1)));
    assertEquals("request_id", errorInfo(req).getMetadataOrThrow("field"));
  }

  @Test
  void aRetryAfterTheEndThatThisNodeForgotGetsTheArbitersDecision() throws Exception {
    // Decided at another node (or here before a restart); the buyer retries here after the end.
    long stampMicros = flashsale.sale.Micros.of(java.time.Instant.now().minus(Duration.ofMinutes(90)));
    f.arbiter.decisions.put("won-before", decision(Ticket.newBuilder().setEventId("over").setRequestId("won-before")
        .setUserId("alice").setQuantity(1).setArrivalMicros(stampMicros).build(), true, 1));
    assertEquals(Outcome.OUTCOME_WON, f.blocking().purchase(request("over", "alice", "won-before", 1)).getDecision()
        .getOutcome(), "the same decision, not EVENT_ENDED");
    assertError(Status.Code.ALREADY_EXISTS, ErrorReason.REQUEST_ID_REUSED,
        () -> f.blocking().purchase(request("over", "mallory", "won-before", 1)));
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.EVENT_ENDED,
        () -> f.blocking().purchase(request("over", "bob", "never-sent", 1)));
    stillServes();
  }

  @Test
  void eventRulesAreFailedPreconditionsAndUnknownEventIsNotFound() throws Exception {
    assertError(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND, () -> buy("ghost", "r1"));
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.EVENT_NOT_STARTED, () -> buy("soon", "r2"));
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.EVENT_ENDED, () -> buy("over", "r3"));
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.REGION_NOT_IN_EVENT, () -> buy("faraway", "r4"));
    assertError(Status.Code.FAILED_PRECONDITION, ErrorReason.MODE_NOT_SUPPORTED, () -> buy("sharded", "r5"));
    assertError(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND,
        () -> f.blocking().getEvent(GetEventRequest.newBuilder().setEventId("ghost").build()));
    assertError(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND,
        () -> f.blocking().getPurchase(GetPurchaseRequest.newBuilder().setEventId("ghost").setRequestId("r1").build()));
    assertError(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> f.blocking().getPurchase(GetPurchaseRequest.newBuilder().setEventId("shoes").build()));
    stillServes();
  }

  /**
   * An event this node cannot look up may be CENTRAL or SHARDED, whose decisions the arbiter's store
   * never holds: its "no such purchase" is no answer then, and the look-up's failure is told, to retry.
   */
  @Test
  void aPurchaseOfAnEventThatCouldNotBeLookedUpIsNotSaidToBeUnknown() throws Exception {
    f.arbiter.lookupFailsWith = Status.UNAVAILABLE.withDescription("a leader change");
    assertError(Status.Code.UNAVAILABLE, ErrorReason.ARBITER_UNAVAILABLE,
        () -> f.blocking().getPurchase(GetPurchaseRequest.newBuilder().setEventId("pooled").setRequestId("r1").build()));
    f.arbiter.lookupFailsWith = null;
    assertError(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND,
        () -> f.blocking().getPurchase(GetPurchaseRequest.newBuilder().setEventId("pooled").setRequestId("r1").build()));
  }

  @Test
  void requestIdReusedWithOtherContentIsAlreadyExists() throws Exception {
    f.purchase("shoes", "alice", "r1", 1);
    f.stream.nextTicket();
    assertError(Status.Code.ALREADY_EXISTS, ErrorReason.REQUEST_ID_REUSED,
        () -> f.blocking().purchase(request("shoes", "bob", "r1", 1)));
    assertError(Status.Code.ALREADY_EXISTS, ErrorReason.REQUEST_ID_REUSED,
        () -> f.blocking().purchase(request("shoes", "alice", "r1", 2)));
  }

  @Test
  void pendingBeyondTheCapIsResourceExhausted() throws Exception {
    for (int i = 1; i <= 3; i++) f.purchase("shoes", "u" + i, "q" + i, 1);
    for (int i = 1; i <= 3; i++) f.stream.nextTicket();
    assertError(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_PENDING,
        () -> f.blocking().purchase(request("shoes", "u4", "q4", 1)));
  }

  @Test
  void flaggedClockRefusesPurchasesUntilCleared() throws Exception {
    // The stream is FIFO and the loop applies it in order: once a decision sent after the verdict
    // has answered its call, the verdict is in force.
    var sync1 = f.purchase("shoes", "s1", "sync1", 1);
    var sync2 = f.purchase("shoes", "s2", "sync2", 1);
    Ticket t1 = f.stream.nextTicket();
    Ticket t2 = f.stream.nextTicket();
    verdict(true);
    decide(t1);
    sync1.get(5, TimeUnit.SECONDS);
    assertError(Status.Code.UNAVAILABLE, ErrorReason.CLOCK_SKEW, () -> buy("shoes", "r1"));
    verdict(false);
    decide(t2);
    sync2.get(5, TimeUnit.SECONDS);
    stillServes();
  }

  private void buy(String eventId, String requestId) {
    f.blocking().purchase(request(eventId, "alice", requestId, 1));
  }

  private void verdict(boolean flagged) {
    f.stream.send(SequenceResponse.newBuilder()
        .setClockVerdict(ClockVerdict.newBuilder().setFlagged(flagged).setMessage("offset 40 ms")).build());
  }

  /** After bad input the node still takes, sends and answers a good purchase. */
  private void stillServes() throws Exception {
    String id = "ok-" + System.nanoTime();
    var call = f.purchase("shoes", "zoe", id, 1);
    Ticket t = f.stream.nextTicket();
    assertEquals(id, t.getRequestId());
    decide(t);
    assertEquals(Outcome.OUTCOME_WON, call.get(5, TimeUnit.SECONDS).getDecision().getOutcome());
  }

  private void decide(Ticket t) {
    f.stream.send(SequenceResponse.newBuilder()
        .setDecisionBatch(DecisionBatch.newBuilder().addDecisions(decision(t, true, 1))).build());
  }

  private static ErrorInfo errorInfo(StatusRuntimeException e) throws Exception {
    for (Any detail : StatusProto.fromThrowable(e).getDetailsList()) {
      if (detail.is(ErrorInfo.class)) return detail.unpack(ErrorInfo.class);
    }
    throw new AssertionError("no ErrorInfo in " + e);
  }

}
