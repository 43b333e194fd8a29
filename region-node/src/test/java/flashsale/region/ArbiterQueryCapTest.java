package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Buyers can ask about any request id, and each unknown one is a question to the arbiter on the
 * link its stream rides. With the arbiter slow to answer, a flood of such look-ups gets at most
 * the cap through to it; a bounded number more wait their turn (a burst just past a sale's end
 * asks one each), the rest are told at once to come back later, and the stream stays up.
 */
class ArbiterQueryCapTest extends RegionFixtureTest {
  static final int CAP = 8;
  static final int WAITING = CAP * 4; // ArbiterQueries.WAITING_PER_SLOT
  static final int ASKED = 50;

  @Override
  protected RegionFixture newFixture() throws Exception {
    return new RegionFixture(RegionFixture.config().maxArbiterQueries(CAP).arbiterCallTimeoutMs(10_000).build(),
        InstantSource.system());
  }

  @Test
  void aFloodOfLookUpsGetsTheCapThroughABoundedNumberWaitAndTheRestAreToldToRetry() throws Exception {
    var held = new LinkedBlockingQueue<StreamObserver<GetDecisionResponse>>();
    f.arbiter.heldDecisionLookups = held;
    List<CompletableFuture<GetPurchaseResponse>> asked = new ArrayList<>();
    for (int i = 0; i < ASKED; i++) asked.add(getPurchase("unknown-" + i));

    Map<String, Integer> answeredAtOnce = new TreeMap<>();
    int refused = ASKED - CAP - WAITING;
    RegionFixture.await("every look-up beyond the cap and the waiting room answered",
        () -> asked.stream().filter(CompletableFuture::isDone).count() == refused);
    for (var call : asked) {
      if (!call.isDone()) continue;
      StatusRuntimeException e = failure(call);
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
      assertEquals(ErrorReason.TOO_MANY_PENDING.name(), Errors.reasonOf(e).orElse(""), e.getMessage());
      assertTrue(Errors.retryDelayOf(e).isPresent(), "a retry delay: " + e.getMessage());
      answeredAtOnce.merge(e.getStatus().getCode().name(), 1, Integer::sum);
    }
    assertEquals(Map.of("RESOURCE_EXHAUSTED", refused), answeredAtOnce);
    assertEquals(CAP, f.arbiter.decisionLookups.get(), "questions that reached the arbiter");
    assertTrue(f.region.arbiterConnected(), "the arbiter stream stays up");

    // The arbiter answers, one at a time: each freed slot goes to a waiting look-up, never more than the cap open.
    for (int answered = 0; answered < CAP + WAITING; answered++) {
      var next = held.poll(5, TimeUnit.SECONDS);
      assertTrue(next != null, "look-up " + answered + " reached the arbiter");
      assertTrue(f.arbiter.decisionLookups.get() - answered <= CAP, "at most the cap open");
      next.onError(Status.NOT_FOUND.withDescription("no decision").asRuntimeException());
    }
    Map<String, Integer> outcomes = new TreeMap<>();
    for (var call : asked) outcomes.merge(failure(call).getStatus().getCode().name(), 1, Integer::sum);
    assertEquals(Map.of("NOT_FOUND", CAP + WAITING, "RESOURCE_EXHAUSTED", refused), outcomes);
    f.arbiter.heldDecisionLookups = null;
    StatusRuntimeException after = failure(getPurchase("unknown-after"));
    assertEquals(Status.Code.NOT_FOUND, after.getStatus().getCode(), "asked of the arbiter again: " + after.getMessage());
    assertEquals(CAP + WAITING + 1, f.arbiter.decisionLookups.get());
  }

  /** A slot freed goes to the look-up that waited longest, not to one that came after it. */
  @Test
  void aFreedSlotGoesToTheLookUpThatWaitedNotToANewOne() throws Exception {
    var held = new LinkedBlockingQueue<StreamObserver<GetDecisionResponse>>();
    f.arbiter.heldDecisionLookups = held;
    List<CompletableFuture<GetPurchaseResponse>> asked = new ArrayList<>();
    for (int i = 0; i < CAP; i++) asked.add(getPurchase("open-" + i));
    RegionFixture.await("the cap reached the arbiter", () -> f.arbiter.decisionLookups.get() == CAP);
    asked.add(getPurchase("waited"));
    Thread.sleep(50); // it waits in the region

    held.poll(5, TimeUnit.SECONDS).onError(Status.NOT_FOUND.withDescription("no decision").asRuntimeException());
    asked.add(getPurchase("came-after"));
    RegionFixture.await("the freed slot used", () -> f.arbiter.decisionLookups.get() == CAP + 1);
    assertEquals("waited", f.arbiter.decisionLookupIds.get(CAP), "the freed slot's question");
    f.arbiter.heldDecisionLookups = null;
    for (var next = held.poll(); next != null; next = held.poll()) {
      next.onError(Status.NOT_FOUND.withDescription("no decision").asRuntimeException());
    }
    for (var call : asked) assertEquals(Status.Code.NOT_FOUND, failure(call).getStatus().getCode());
  }

  /**
   * Anyone can name made-up event ids, each a LookupEvent: with the arbiter slow to answer, they
   * hold at most half the slots, and a buyer asking about a purchase still gets through.
   */
  @Test
  void purchasesOfMadeUpEventsHoldAtMostHalfTheSlots() throws Exception {
    var lookupsHeld = new java.util.concurrent.CountDownLatch(1);
    f.arbiter.lookupsHeld = lookupsHeld;
    List<com.google.common.util.concurrent.ListenableFuture<flashsale.v1.PurchaseResponse>> junk = new ArrayList<>();
    for (int i = 0; i < ASKED; i++) junk.add(f.purchase("made-up-" + i, "u" + i, "r" + i, 1));
    RegionFixture.await("every purchase beyond half the slots answered",
        () -> junk.stream().filter(java.util.concurrent.Future::isDone).count() == ASKED - CAP / 2);
    for (var call : junk) {
      if (call.isDone()) RegionFixture.assertFails(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.TOO_MANY_PENDING, call);
    }
    assertEquals(CAP / 2, f.arbiter.lookupCalls.get(), "event look-ups that reached the arbiter");

    StatusRuntimeException asked = failure(getPurchase("someone-elses"));
    assertEquals(Status.Code.NOT_FOUND, asked.getStatus().getCode(), "reached the arbiter: " + asked.getMessage());
    assertEquals(1, f.arbiter.decisionLookups.get());

    lookupsHeld.countDown();
    for (var call : junk) {
      Status.Code code = assertThrowsCode(call);
      assertTrue(code == Status.Code.NOT_FOUND || code == Status.Code.RESOURCE_EXHAUSTED, code.name());
    }
  }

  private static Status.Code assertThrowsCode(java.util.concurrent.Future<?> call) throws Exception {
    try {
      call.get(5, TimeUnit.SECONDS);
      throw new AssertionError("a made-up event was sold");
    } catch (java.util.concurrent.ExecutionException e) {
      return Status.fromThrowable(e.getCause()).getCode();
    }
  }

  private CompletableFuture<GetPurchaseResponse> getPurchase(String requestId) {
    var answer = new CompletableFuture<GetPurchaseResponse>();
    f.async().getPurchase(GetPurchaseRequest.newBuilder().setEventId("shoes").setRequestId(requestId).build(),
        new StreamObserver<>() {
          @Override public void onNext(GetPurchaseResponse r) { answer.complete(r); }
          @Override public void onError(Throwable t) { answer.completeExceptionally(t); }
          @Override public void onCompleted() {}
        });
    return answer;
  }

  private static StatusRuntimeException failure(CompletableFuture<?> call) throws InterruptedException {
    try {
      Object ok = call.get(5, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + ok);
    } catch (java.util.concurrent.ExecutionException e) {
      return (StatusRuntimeException) e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within 5 s", e);
    }
  }
}
