package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.wire.Times;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The mission, end to end: a near region and a region 30 ms (one way) from the arbiter, a burst
 * from both against stock 100. Winners must be exactly the 100 earliest arrival stamps, whichever
 * region they came from.
 */
class GlobalOrderEndToEndTest {
  static final int STOCK = 100;
  static final int PER_REGION = 250;
  static ClusterFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", 30, Duration.ZERO)));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  /** Fires interleaved purchases at both regions, far first in each pair, and collects answers. */
  private static Map<String, PurchaseDecision> burst(String eventId) throws InterruptedException {
    var near = fx.asyncBuyer("near");
    var far = fx.asyncBuyer("far");
    Map<String, PurchaseDecision> answers = new ConcurrentHashMap<>();
    Map<String, Throwable> errors = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(2 * PER_REGION);
    for (int i = 0; i < PER_REGION; i++) {
      for (String region : List.of("far", "near")) {
        String requestId = region + "-" + i;
        var request =
            PurchaseRequest.newBuilder().setEventId(eventId).setUserId("user-" + requestId).setRequestId(requestId).setQuantity(1).build();
        StreamObserver<PurchaseResponse> observer =
            new StreamObserver<>() {
              @Override
              public void onNext(PurchaseResponse r) {
                answers.put(requestId, r.getDecision());
              }

              @Override
              public void onError(Throwable t) {
                errors.put(requestId, t);
                done.countDown();
              }

              @Override
              public void onCompleted() {
                done.countDown();
              }
            };
        (region.equals("far") ? far : near).withDeadlineAfter(20, TimeUnit.SECONDS).purchase(request, observer);
      }
      if (i % 10 == 0) Thread.sleep(1);
    }
    assertTrue(done.await(30, TimeUnit.SECONDS), "not every Purchase was answered");
    assertEquals(Map.of(), errors, "every Purchase must succeed with a decision");
    return answers;
  }

  static long stampMicros(PurchaseDecision d) {
    return Times.micros(d.getArrivalTime());
  }

  @Test
  void winnersAreTheEarliestStampsAcrossRegions() throws Exception {
    fx.createEvent("e2e-burst", STOCK, 0, 60_000);
    Map<String, PurchaseDecision> answers = burst("e2e-burst");
    assertEquals(2 * PER_REGION, answers.size());

    List<PurchaseDecision> byStamp = new ArrayList<>(answers.values());
    byStamp.sort(Comparator.comparingLong(GlobalOrderEndToEndTest::stampMicros));
    Set<String> earliest = byStamp.subList(0, STOCK).stream().map(PurchaseDecision::getRequestId).collect(Collectors.toSet());
    Set<String> winners =
        answers.values().stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_WON).map(PurchaseDecision::getRequestId).collect(Collectors.toSet());
    assertEquals(STOCK, winners.size(), "no oversell, and the stock sells out");
    assertEquals(earliest, winners, "winners must be exactly the earliest stamps");

    long farWins = winners.stream().filter(id -> id.startsWith("far-")).count();
    long farEarliest = earliest.stream().filter(id -> id.startsWith("far-")).count();
    System.out.printf("far region: %d of %d wins (ideal %d)%n", farWins, STOCK, farEarliest);
    assertTrue(farWins > STOCK / 4, "the far region's early requests must win: " + farWins);

    // decided (rank) order is stamp order
    List<PurchaseDecision> byRank = new ArrayList<>(answers.values());
    byRank.sort(Comparator.comparingLong(PurchaseDecision::getRank));
    for (int i = 0; i < byRank.size(); i++) {
      assertEquals(i + 1, byRank.get(i).getRank(), "ranks are 1..n without gaps");
      if (i > 0) assertTrue(stampMicros(byRank.get(i - 1)) <= stampMicros(byRank.get(i)), "rank order follows stamps at rank " + (i + 1));
    }

    // GetPurchase and a retried Purchase give the same decision; ListDecisions is the same log
    var nearBuyer = fx.buyer("near");
    for (PurchaseDecision d : List.of(byRank.get(0), byRank.get(STOCK - 1), byRank.get(STOCK), byRank.get(byRank.size() - 1))) {
      var looked = fx.buyer(d.getRegion()).getPurchase(GetPurchaseRequest.newBuilder().setEventId("e2e-burst").setRequestId(d.getRequestId()).build());
      assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, looked.getState());
      assertEquals(d, looked.getDecision());
      var crossRegion = nearBuyer.getPurchase(GetPurchaseRequest.newBuilder().setEventId("e2e-burst").setRequestId(d.getRequestId()).build());
      assertEquals(d.getOutcome(), crossRegion.getDecision().getOutcome());
      assertEquals(d.getRank(), crossRegion.getDecision().getRank());
      var retried =
          fx.buyer(d.getRegion())
              .purchase(PurchaseRequest.newBuilder().setEventId("e2e-burst").setUserId(d.getUserId()).setRequestId(d.getRequestId()).setQuantity(1).build());
      assertEquals(d, retried.getDecision());
    }
    List<PurchaseDecision> log = new ArrayList<>();
    String token = "";
    do {
      var page = fx.admin().listDecisions(ListDecisionsRequest.newBuilder().setEventId("e2e-burst").setPageSize(77).setPageToken(token).build());
      log.addAll(page.getDecisionsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(byRank, log, "the audit log is the global decided order");
    assertEquals(STOCK, fx.store.readOutbox("e2e-burst").size(), "every winner is in the outbox");
  }
}
