package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.EventLedger;
import flashsale.store.ArbiterStore;
import flashsale.v1.FlashSaleServiceGrpc.FlashSaleServiceBlockingStub;
import flashsale.v1.FlashSaleServiceGrpc.FlashSaleServiceStub;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One sale under a fault, as its clients saw it: fires a paced burst of purchases at the regions
 * (each with a deadline, one user per request), records every answer or error, and then checks the
 * whole history against the store: no oversell, sold out, every told decision durable (WON also in
 * the outbox), one decision per request id, every call answered in time and resolvable later, and
 * stamp order among the decisions that were not late.
 */
final class SaleHistory {
  static final long DEADLINE_MS = 20_000;

  record Answer(String region, PurchaseDecision decision, Status error, long latencyMs) {}

  private final String eventId;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final Map<String, String> regionOf = new ConcurrentHashMap<>();
  private CountDownLatch done;
  private long burstStartNanos;
  private long burstEndNanos;
  private int inFlightAfterFault;

  SaleHistory(String eventId) {
    this.eventId = eventId;
  }

  /**
   * Sends {@code count} purchases round-robin over {@code regions}, about one per {@code pauseMs}
   * per ten requests, running {@code fault} once a third of them are out.
   */
  void burst(Map<String, FlashSaleServiceStub> regions, int count, Runnable fault) throws InterruptedException {
    done = new CountDownLatch(count);
    List<String> names = List.copyOf(regions.keySet());
    burstStartNanos = System.nanoTime();
    for (int i = 0; i < count; i++) {
      String region = names.get(i % names.size());
      purchase(regions.get(region), region, eventId + "-r" + i);
      if (i == count / 3) {
        // Right after a send, before any pause, so calls are open when it strikes even on a fast box.
        fault.run();
        // Counted once the fault has run: a call still unanswered now was open across it.
        inFlightAfterFault = (i + 1) - (int) (count - done.getCount());
      } else if (i % 10 == 9) {
        Thread.sleep(2);
      }
    }
    assertTrue(done.await(DEADLINE_MS + 10_000, TimeUnit.MILLISECONDS), "a Purchase outlived its deadline");
    burstEndNanos = System.nanoTime();
  }

  private void purchase(FlashSaleServiceStub stub, String region, String requestId) {
    regionOf.put(requestId, region);
    long startNanos = System.nanoTime();
    var request = PurchaseRequest.newBuilder().setEventId(eventId).setUserId("u-" + requestId)
        .setRequestId(requestId).setQuantity(1).build();
    stub.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).purchase(request, new StreamObserver<>() {
      @Override
      public void onNext(PurchaseResponse r) {
        answers.put(requestId, new Answer(region, r.getDecision(), null, elapsedMs(startNanos)));
      }

      @Override
      public void onError(Throwable t) {
        answers.put(requestId, new Answer(region, null, Status.fromThrowable(t), elapsedMs(startNanos)));
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    });
  }

  private static long elapsedMs(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** Waits until the store shows the event sold out; demand is above stock, so it must. */
  EventLedger awaitSoldOut(ArbiterStore store, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    EventLedger ledger = store.loadLedger(eventId);
    while (ledger.remainingStock() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
      ledger = store.loadLedger(eventId);
    }
    assertEquals(0, ledger.remainingStock(), "demand above stock must sell out; " + ledger.remainingStock()
        + " left; the clients were told " + answerSummary());
    return ledger;
  }

  /** How many answers of each kind the clients got, e.g. {@code {WON=40, LOST=200}} or {@code {UNAVAILABLE=240}}. */
  private Map<String, Long> answerSummary() {
    return answers.values().stream().collect(Collectors.groupingBy(
        a -> a.decision() != null ? a.decision().getOutcome().name() : a.error().getCode() + " " + a.error().getDescription(),
        java.util.TreeMap::new, Collectors.counting()));
  }

  /** Every rule over the whole history; returns the figures to print. */
  String check(ArbiterStore store, long stock, Function<String, FlashSaleServiceBlockingStub> buyer)
      throws InterruptedException {
    EventLedger ledger = awaitSoldOut(store, 30_000);
    List<Decision> decisions = ledger.decisions();
    assertEquals(stock, decisions.stream().mapToLong(Decision::unitsWon).sum(), "units won must equal stock");
    assertEquals(decisions.size(), decisions.stream().map(Decision::requestId).distinct().count(),
        "one decision per request id");
    Set<String> outbox = store.readOutbox(eventId).stream().map(Decision::requestId).collect(Collectors.toSet());
    Map<String, Decision> byId = decisions.stream().collect(Collectors.toMap(Decision::requestId, d -> d));
    int errors = 0;
    for (var entry : answers.entrySet()) {
      Answer answer = entry.getValue();
      assertTrue(answer.latencyMs() <= DEADLINE_MS + 2_000, "answered after its deadline: " + entry);
      if (answer.decision() == null) {
        errors++;
        resolveLater(entry.getKey(), byId.get(entry.getKey()), buyer.apply(answer.region()));
        continue;
      }
      Decision stored = byId.get(entry.getKey());
      assertTrue(stored != null, "told " + entry.getKey() + " but the store has no decision");
      assertEquals(stored.rank(), answer.decision().getRank(), "told rank differs from the store: " + entry.getKey());
      assertEquals(stored.won(), answer.decision().getOutcome() == Outcome.OUTCOME_WON, "told outcome differs: " + entry.getKey());
      if (stored.won()) assertTrue(outbox.contains(entry.getKey()), "WON " + entry.getKey() + " missing from the outbox");
    }
    assertEquals(decisions.stream().filter(Decision::won).map(Decision::requestId).collect(Collectors.toSet()), outbox);
    checkStampOrder(decisions);
    long late = decisions.stream().filter(Decision::late).count();
    double seconds = (burstEndNanos - burstStartNanos) / 1e9;
    return String.format("event=%s purchases=%d decisions=%d late=%d errors=%d answered/s=%.0f maxLatencyMs=%d",
        eventId, answers.size(), decisions.size(), late, errors, answers.size() / seconds,
        answers.values().stream().mapToLong(Answer::latencyMs).max().orElse(0));
  }

  /** A Purchase that failed (deadline, region gone): GetPurchase at its region now says what happened. */
  private void resolveLater(String requestId, Decision stored, FlashSaleServiceBlockingStub region)
      throws InterruptedException {
    GetPurchaseRequest ask = GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        GetPurchaseResponse r = region.withDeadlineAfter(5, TimeUnit.SECONDS).getPurchase(ask);
        if (r.getState() == PurchaseState.PURCHASE_STATE_DECIDED) {
          assertTrue(stored != null && stored.rank() == r.getDecision().getRank(), "GetPurchase " + requestId + " vs store " + stored);
          return;
        }
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
          assertTrue(stored == null, requestId + " is decided in the store but GetPurchase says NOT_FOUND");
          return;
        }
      }
      assertTrue(System.nanoTime() < deadline, "GetPurchase never resolved " + requestId);
      Thread.sleep(100);
    }
  }

  /**
   * Among decisions that were not late, rank order is stamp order up to the last win, except between
   * near-ties (tickets of different regions within each other's uncertainty), which the lottery
   * orders; once the stock is gone, waiting tickets lose (SOLD_OUT) as they come.
   */
  private static void checkStampOrder(List<Decision> decisions) {
    flashsale.sale.Ticket latest = null;
    Set<Long> ranks = new HashSet<>();
    long lastWin = decisions.stream().filter(Decision::won).mapToLong(Decision::rank).max().orElse(0);
    for (Decision d : decisions) {
      assertTrue(ranks.add(d.rank()), "rank " + d.rank() + " twice");
      if (d.rank() > lastWin) {
        assertTrue(!d.won() && d.lossReason() == flashsale.sale.LossReason.SOLD_OUT, "after the last win: " + d);
        continue;
      }
      if (d.late()) continue;
      if (latest != null && d.ticket().stampMicros() < latest.stampMicros()) {
        assertTrue(flashsale.sale.NearTieLottery.nearTie(d.ticket(), latest) && d.nearTie(),
            "rank " + d.rank() + " stamped before an earlier rank, outside the near-tie band: " + d + " after " + latest);
      } else {
        latest = d.ticket();
      }
    }
  }

  /**
   * Every request of the burst has a decision in the store, and GetPurchase at each of {@code
   * regions} returns exactly it (a region that never saw the request asks the arbiter's store).
   * Returns how many of them were sold-out losses.
   */
  long checkEveryRequestResolvableAt(ArbiterStore store, List<FlashSaleServiceBlockingStub> regions) {
    Map<String, Decision> byId = store.loadLedger(eventId).decisions().stream()
        .collect(Collectors.toMap(Decision::requestId, d -> d));
    long soldOutLosses = 0;
    for (String requestId : answers.keySet()) {
      Decision stored = byId.get(requestId);
      assertTrue(stored != null, "request " + requestId + " has no decision in the store");
      if (stored.lossReason() == flashsale.sale.LossReason.SOLD_OUT) soldOutLosses++;
      for (FlashSaleServiceBlockingStub region : regions) {
        GetPurchaseResponse r = region.withDeadlineAfter(5, TimeUnit.SECONDS)
            .getPurchase(GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build());
        assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, r.getState(), requestId);
        assertEquals(stored.rank(), r.getDecision().getRank(), "GetPurchase " + requestId + " vs the store's " + stored);
        assertEquals(stored.won(), r.getDecision().getOutcome() == Outcome.OUTCOME_WON, requestId);
      }
    }
    return soldOutLosses;
  }

  int answered() {
    return answers.size();
  }

  /** How many calls sent before the fault were still unanswered once it had run. */
  int inFlightAfterFault() {
    return inFlightAfterFault;
  }
}
