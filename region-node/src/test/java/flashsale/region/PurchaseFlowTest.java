package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static flashsale.region.RegionFixture.assertError;
import static flashsale.region.RegionFixture.assertFails;
import static flashsale.region.RegionFixture.decision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import flashsale.v1.DecisionBatch;
import flashsale.v1.EventState;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.v1.RejectionReason;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SoldOutNotice;
import flashsale.v1.Ticket;
import flashsale.v1.TicketRejection;
import flashsale.sale.ErrorReason;
import flashsale.wire.Times;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Purchases through a real region node against a scripted arbiter. */
class PurchaseFlowTest extends RegionFixtureTest {


  private void decide(PurchaseDecision... decisions) {
    f.stream.send(SequenceResponse.newBuilder()
        .setDecisionBatch(DecisionBatch.newBuilder().addAllDecisions(List.of(decisions))).build());
  }

  private static PurchaseDecision get(ListenableFuture<PurchaseResponse> call) throws Exception {
    return call.get(5, TimeUnit.SECONDS).getDecision();
  }

  @Test
  void purchaseStaysPendingUntilTheDecisionArrivesThenReturnsIt() throws Exception {
    long before = RegionFixture.micros(java.time.Instant.now());
    var call = f.purchase("shoes", "alice", "r1", 2);
    Ticket t = f.stream.nextTicket();
    assertEquals(List.of("shoes", "r1", "alice", 2), List.of(t.getEventId(), t.getRequestId(), t.getUserId(),
        t.getQuantity()));
    assertTrue(t.getArrivalMicros() >= before, "stamped on arrival: " + t.getArrivalMicros() + " < " + before);
    Thread.sleep(100);
    assertFalse(call.isDone(), "answered before the arbiter decided");

    decide(decision(t, true, 1));
    PurchaseDecision d = get(call);
    assertEquals(Outcome.OUTCOME_WON, d.getOutcome());
    assertEquals(1, d.getRank());
    assertEquals(REGION, d.getRegion());
    assertEquals(t.getArrivalMicros(), Times.micros(d.getArrivalTime()));
    assertEquals(t.getArrivalMicros() + 3_000, Times.micros(d.getDecideTime()));
  }

  @Test
  void retriesGetTheSameDecisionAndNeverASecondTicket() throws Exception {
    var first = f.purchase("shoes", "alice", "r1", 1);
    Ticket t = f.stream.nextTicket();
    var joined = f.purchase("shoes", "alice", "r1", 1);
    Thread.sleep(50);
    decide(decision(t, false, 7));
    assertEquals(get(first), get(joined));
    assertEquals(LossReason.LOSS_REASON_INSUFFICIENT_STOCK, get(first).getLossReason());
    assertEquals(get(first), f.blocking().purchase(RegionFixture.request("shoes", "alice", "r1", 1)).getDecision());

    f.purchase("shoes", "bob", "r2", 1);
    assertEquals("r2", f.stream.nextTicket().getRequestId(), "the retries sent no ticket of their own");
  }

  @Test
  void aCallItsClientGaveUpOnLeavesThePurchasePendingAndItsRetryGetsTheDecision() throws Exception {
    var impatient = FlashSaleServiceGrpc.newFutureStub(f.client).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
        .purchase(RegionFixture.request("shoes", "alice", "r1", 1));
    Ticket t = f.stream.nextTicket();
    var gaveUp = assertThrows(ExecutionException.class, () -> impatient.get(5, TimeUnit.SECONDS));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(gaveUp.getCause()).getCode());
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, f.blocking().getPurchase(lookup("shoes", "r1")).getState());

    var retry = f.purchase("shoes", "alice", "r1", 1);
    decide(decision(t, true, 1));
    assertEquals(Outcome.OUTCOME_WON, get(retry).getOutcome());
    f.purchase("shoes", "bob", "r2", 1);
    assertEquals("r2", f.stream.nextTicket().getRequestId(), "the retry sent no ticket of its own");
  }

  @Test
  void getPurchaseReportsPendingThenDecidedAndAsksTheArbiterOtherwise() throws Exception {
    var call = f.purchase("shoes", "alice", "r1", 1);
    Ticket t = f.stream.nextTicket();
    GetPurchaseResponse pending = f.blocking().getPurchase(lookup("shoes", "r1"));
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, pending.getState());
    assertEquals(t.getArrivalMicros(), Times.micros(pending.getArrivalTime()));

    decide(decision(t, true, 1));
    get(call);
    GetPurchaseResponse decided = f.blocking().getPurchase(lookup("shoes", "r1"));
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, decided.getState());
    assertEquals(get(call), decided.getDecision());

    Ticket elsewhere = t.toBuilder().setRequestId("seen-in-us").build();
    f.arbiter.decisions.put("seen-in-us", decision(elsewhere, true, 2).toBuilder().setRegion("us").build());
    GetPurchaseResponse remote = f.blocking().getPurchase(lookup("shoes", "seen-in-us"));
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, remote.getState());
    assertEquals("us", remote.getDecision().getRegion());

    assertError(Status.Code.NOT_FOUND, ErrorReason.PURCHASE_NOT_FOUND,
        () -> f.blocking().getPurchase(lookup("shoes", "never-seen")));
    assertError(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND, // an event the arbiter does not have
        () -> f.blocking().getPurchase(lookup("hats", "r1")));
  }

  @Test
  void afterSoldOutNewPurchasesGoToTheArbiterWhichRecordsTheirAnswerAndPendingOnesWait() throws Exception {
    var early = f.purchase("shoes", "alice", "r1", 1);
    Ticket t1 = f.stream.nextTicket();
    var late = f.purchase("shoes", "bob", "r2", 1);
    Ticket t2 = f.stream.nextTicket();
    f.stream.send(SequenceResponse.newBuilder()
        .setSoldOut(SoldOutNotice.newBuilder().setEventId("shoes").setSoldOutMicros(t1.getArrivalMicros())).build());

    Thread.sleep(50);
    assertFalse(late.isDone(), "a pending ticket may be a retry of a win elsewhere: the arbiter decides it");
    decide(decision(t2, false, 11));
    assertEquals(11, get(late).getRank());

    var newcomer = f.purchase("shoes", "carol", "r3", 1);
    Ticket t3 = f.stream.nextTicket();
    assertEquals("r3", t3.getRequestId(), "a purchase after sold out is sent, so its loss is recorded");
    decide(decision(t3, false, 12).toBuilder().setLossReason(LossReason.LOSS_REASON_SOLD_OUT).build());
    assertEquals(LossReason.LOSS_REASON_SOLD_OUT, get(newcomer).getLossReason());
    assertEquals(12, get(newcomer).getRank(), "ranked and stored by the arbiter");

    var retry = f.purchase("shoes", "erin", "r4", 1);
    Ticket t4 = f.stream.nextTicket();
    PurchaseDecision wonElsewhere = decision(t4, true, 7).toBuilder().setRegion("other").build();
    decide(wonElsewhere);
    assertEquals(wonElsewhere, get(retry), "a retry of a purchase that won through another region keeps its win");

    f.arbiter.lookupOnly.put("hats", RegionFixture.event("hats", Duration.ofHours(-1), Duration.ofHours(1),
        List.of(REGION)));
    f.purchase("hats", "dave", "h1", 1);
    assertEquals("h1", f.stream.nextTicket().getRequestId(), "tickets of other events flow as before");

    var view = f.blocking().getEvent(GetEventRequest.newBuilder().setEventId("shoes").build());
    assertEquals(EventState.EVENT_STATE_SOLD_OUT, view.getState());
    assertEquals(t1.getArrivalMicros(), Times.micros(view.getSoldOutTime()));
    decide(decision(t1, true, 10));
    assertEquals(Outcome.OUTCOME_WON, get(early).getOutcome());
  }

  @Test
  void arbiterRejectionFailsThePendingPurchase() throws Exception {
    var call = f.purchase("shoes", "alice", "r1", 1);
    Ticket t = f.stream.nextTicket();
    f.stream.send(SequenceResponse.newBuilder().setTicketRejection(TicketRejection.newBuilder()
        .setEventId("shoes").setRequestId(t.getRequestId())
        .setReason(RejectionReason.REJECTION_REASON_REQUEST_ID_CONFLICT).setMessage("seen in us as bob")).build());
    assertFails(Status.Code.ALREADY_EXISTS, ErrorReason.REQUEST_ID_REUSED, call);
  }

  @Test
  void aTicketRefusedAfterItsEventWasLetGoGetsTheStoredDecisionOrEnded() throws Exception {
    // The sale ends while this region's tickets wait; the arbiter decided one (while the region was
    // away) and let the finished event go, so a resend is refused as "unknown event".
    f.arbiter.lookupOnly.put("brief", RegionFixture.event("brief", Duration.ofHours(-1), Duration.ofMillis(1_500),
        List.of(RegionFixture.REGION)));
    var decidedAway = f.purchase("brief", "alice", "decided-away", 1);
    Ticket t = f.stream.nextTicket();
    var neverDecided = f.purchase("brief", "bob", "never-decided", 1);
    Ticket u = f.stream.nextTicket();
    var reusedElsewhere = f.purchase("brief", "dave", "same-id", 1);
    Ticket v = f.stream.nextTicket();
    Thread.sleep(1_600); // past the end, by the region's clock (waiting for the sale to end, not timing anything)
    f.arbiter.decisions.put(t.getRequestId(), decision(t, true, 1));
    // The store holds carol's purchase, at another region, under the id dave used here.
    f.arbiter.decisions.put(v.getRequestId(), decision(v.toBuilder().setUserId("carol").build(), true, 2).toBuilder()
        .setRegion("us").build());
    for (Ticket refused : List.of(t, u, v)) {
      f.stream.send(SequenceResponse.newBuilder().setTicketRejection(TicketRejection.newBuilder()
          .setEventId("brief").setRequestId(refused.getRequestId())
          .setReason(RejectionReason.REJECTION_REASON_EVENT_NOT_OPEN).setMessage("unknown event brief")).build());
    }
    assertEquals(Outcome.OUTCOME_WON, get(decidedAway).getOutcome(), "the stored decision, not an error");
    assertFails(Status.Code.FAILED_PRECONDITION, ErrorReason.EVENT_ENDED, neverDecided); // not EVENT_NOT_STARTED
    assertFails(Status.Code.ALREADY_EXISTS, ErrorReason.REQUEST_ID_REUSED, reusedElsewhere); // not left pending
  }

  @Test
  void pastTheEndAnArbiterThatCannotTellTheDecisionIsARetryNotAnEnd() throws Exception {
    // Each of these purchases may have won while the sale was open: when the arbiter cannot say
    // (unreachable, failing over), the buyer is asked to retry, never told the sale ended.
    f.arbiter.lookupOnly.put("brief", RegionFixture.event("brief", Duration.ofHours(-1), Duration.ofMillis(1_500),
        List.of(RegionFixture.REGION)));
    var pendingHere = f.purchase("brief", "alice", "pending-here", 1);
    Ticket t = f.stream.nextTicket();
    Thread.sleep(1_600); // past the end, by the region's clock (waiting for the sale to end, not timing anything)
    var lookups = new java.util.concurrent.LinkedBlockingQueue<io.grpc.stub.StreamObserver<flashsale.v1.GetDecisionResponse>>();
    f.arbiter.heldDecisionLookups = lookups;
    var unavailable = Status.UNAVAILABLE.withDescription("leader moved").asRuntimeException();

    // A pending ticket refused by a new leader that let the finished event go; its look-up fails.
    f.stream.send(SequenceResponse.newBuilder().setTicketRejection(TicketRejection.newBuilder()
        .setEventId("brief").setRequestId(t.getRequestId())
        .setReason(RejectionReason.REJECTION_REASON_EVENT_NOT_OPEN).setMessage("unknown event brief")).build());
    lookups.poll(5, TimeUnit.SECONDS).onError(unavailable);
    assertFails(Status.Code.UNAVAILABLE, ErrorReason.ARBITER_UNAVAILABLE, pendingHere);

    // A retry through this node of a request id it never held; its look-up fails too.
    var retry = f.purchase("brief", "bob", "decided-elsewhere", 1);
    lookups.poll(5, TimeUnit.SECONDS).onError(unavailable);
    assertFails(Status.Code.UNAVAILABLE, ErrorReason.ARBITER_UNAVAILABLE, retry);

    // Asked again once the arbiter answers: the first is told its stored win, the second that the sale ended.
    f.arbiter.heldDecisionLookups = null;
    f.arbiter.decisions.put(t.getRequestId(), decision(t, true, 1));
    assertEquals(Outcome.OUTCOME_WON, get(f.purchase("brief", "alice", "pending-here", 1)).getOutcome());
    assertFails(Status.Code.FAILED_PRECONDITION, ErrorReason.EVENT_ENDED, f.purchase("brief", "bob", "decided-elsewhere", 1));
  }

  @Test
  void eventTheRegionWasNotToldOfIsLookedUpAtTheArbiter() throws Exception {
    f.arbiter.lookupOnly.put("hats", RegionFixture.event("hats", Duration.ofHours(-1), Duration.ofHours(1),
        List.of(REGION)));
    var call = f.purchase("hats", "alice", "h1", 1);
    Ticket t = f.stream.nextTicket();
    assertEquals("hats", t.getEventId());
    decide(decision(t, true, 1));
    assertEquals(Outcome.OUTCOME_WON, get(call).getOutcome());
    var view = f.blocking().getEvent(GetEventRequest.newBuilder().setEventId("hats").build());
    assertEquals(EventState.EVENT_STATE_OPEN, view.getState());
    assertEquals("item hats", view.getEvent().getItem());
  }

  private static GetPurchaseRequest lookup(String eventId, String requestId) {
    return GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
  }
}
