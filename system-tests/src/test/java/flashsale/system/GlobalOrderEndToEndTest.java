package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.sale.NearTieLottery;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.wire.Times;
import flashsale.wire.WireMapping;
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

  static final int FAR_HEAD_START = 30;

  private static void send(
      FlashSaleServiceGrpc.FlashSaleServiceStub stub, String eventId, String requestId,
      Map<String, PurchaseDecision> answers, Map<String, Throwable> errors, CountDownLatch done) {
    var request = PurchaseRequest.newBuilder().setEventId(eventId).setUserId("user-" + requestId).setRequestId(requestId).setQuantity(1).build();
    stub.withDeadlineAfter(20, TimeUnit.SECONDS)
        .purchase(
            request,
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
            });
  }

  /**
   * Gives the far region a head start, then fires interleaved purchases at both regions (far first
   * in each pair) and the near region's remaining ones last; collects every answer.
   */
  private static Map<String, PurchaseDecision> burst(String eventId) throws InterruptedException {
    var near = fx.asyncBuyer("near");
    var far = fx.asyncBuyer("far");
    // open both connections first, so connection setup does not decide who arrives first
    for (String region : List.of("near", "far")) {
      fx.buyer(region).getEvent(flashsale.v1.GetEventRequest.newBuilder().setEventId(eventId).build());
    }

    Map<String, PurchaseDecision> answers = new ConcurrentHashMap<>();
    Map<String, Throwable> errors = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(2 * PER_REGION);
    // first the far region's head start: stamped (pending there) before any near request is sent,
    // so these must win although their tickets reach the arbiter 30 ms after the near ones
    for (int i = 0; i < FAR_HEAD_START; i++) send(far, eventId, "far-" + i, answers, errors, done);
    for (int i = 0; i < FAR_HEAD_START; i++) fx.awaitStamped("far", eventId, "far-" + i);
    for (int i = FAR_HEAD_START; i < PER_REGION; i++) {
      send(far, eventId, "far-" + i, answers, errors, done);
      send(near, eventId, "near-" + i, answers, errors, done);
      if (i % 2 == 0) Thread.sleep(1);
    }
    for (int i = 0; i < FAR_HEAD_START; i++) send(near, eventId, "near-" + i, answers, errors, done);
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
    // Winners are the earliest stamps; only a near-tie across the cut-off (another region's request
    // within each other's uncertainty, placed by the event's lottery) may swap a winner for a loser.
    for (PurchaseDecision loser : answers.values()) {
      if (loser.getOutcome() == Outcome.OUTCOME_WON) continue;
      for (PurchaseDecision winner : answers.values()) {
        if (winner.getOutcome() != Outcome.OUTCOME_WON || stampMicros(winner) <= stampMicros(loser)) continue;
        assertTrue(NearTieLottery.nearTie(WireMapping.fromProto(winner).ticket(), WireMapping.fromProto(loser).ticket()),
            winner.getRequestId() + " won after " + loser.getRequestId() + " lost, outside the near-tie band");
      }
    }
    Set<String> swappedByLottery = new java.util.HashSet<>(earliest);
    swappedByLottery.removeAll(winners);
    System.out.printf("winners swapped at the cut-off by the near-tie lottery: %d%n", swappedByLottery.size());

    long farWins = winners.stream().filter(id -> id.startsWith("far-")).count();
    long farEarliest = earliest.stream().filter(id -> id.startsWith("far-")).count();
    System.out.printf("far region: %d of %d wins (ideal %d)%n", farWins, STOCK, farEarliest);
    for (int i = 0; i < FAR_HEAD_START; i++) {
      assertEquals(Outcome.OUTCOME_WON, answers.get("far-" + i).getOutcome(), "far-" + i + " was stamped before any near request");
    }
    // Only a near-tie swap at the cut-off (checked pairwise above) may move a win between regions.
    assertTrue(Math.abs(farEarliest - farWins) <= swappedByLottery.size(),
        "the far region's early requests win against the near region's later ones: far won " + farWins
            + ", stamps say " + farEarliest + ", swapped by the lottery " + swappedByLottery.size());

    // the audit log: every request ranked once, in stamp order
    List<PurchaseDecision> log = new ArrayList<>();
    String token = "";
    do {
      var page = fx.admin().listDecisions(ListDecisionsRequest.newBuilder().setEventId("e2e-burst").setPageSize(77).setPageToken(token).build());
      log.addAll(page.getDecisionsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    // every request is in the log, sold-out losses included: a region sends every purchase and the
    // arbiter records each answer; up to the last win, rank order is stamp order (once the stock
    // is gone, waiting tickets lose as they come)
    assertEquals(2 * PER_REGION, log.size(), "every request is recorded");
    assertEquals(log.size(), log.stream().map(PurchaseDecision::getRequestId).distinct().count(), "one decision per request_id");
    long lastWin = log.stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_WON).mapToLong(PurchaseDecision::getRank).max().orElse(0);
    for (int i = 0; i < log.size(); i++) {
      assertEquals(i + 1, log.get(i).getRank(), "ranks are 1..n without gaps");
      if (i >= lastWin) assertEquals(flashsale.v1.LossReason.LOSS_REASON_SOLD_OUT, log.get(i).getLossReason());
    }
    // Up to the last win, rank order is stamp order, except inside the near-tie band, where the
    // event's lottery orders.
    flashsale.sale.Ticket latest = null;
    for (PurchaseDecision d : log.subList(0, (int) lastWin)) {
      flashsale.sale.Ticket t = WireMapping.fromProto(d).ticket();
      if (latest != null && t.stampMicros() < latest.stampMicros()) {
        assertTrue(NearTieLottery.nearTie(t, latest) && d.getNearTie(),
            "rank " + d.getRank() + " stamped before rank of " + latest.requestId() + ", outside the near-tie band");
      } else {
        latest = t;
      }
    }

    // what each client heard is exactly the logged decision, sold-out losses included
    Map<String, PurchaseDecision> logById = log.stream().collect(Collectors.toMap(PurchaseDecision::getRequestId, d -> d));
    for (PurchaseDecision told : answers.values()) {
      assertEquals(logById.get(told.getRequestId()), told, "an answer is exactly the logged decision");
    }

    // GetPurchase (same region and another region) and a retried Purchase give the same decision
    var nearBuyer = fx.buyer("near");
    for (PurchaseDecision d : List.of(log.get(0), log.get(STOCK - 1), byStamp.get(STOCK), byStamp.get(byStamp.size() - 1))) {
      PurchaseDecision told = answers.get(d.getRequestId());
      var looked = fx.buyer(d.getRegion()).getPurchase(GetPurchaseRequest.newBuilder().setEventId("e2e-burst").setRequestId(d.getRequestId()).build());
      assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, looked.getState());
      assertEquals(told, looked.getDecision());
      if (told.getRank() > 0) { // ranked: the arbiter holds it, so any region can look it up
        var crossRegion = nearBuyer.getPurchase(GetPurchaseRequest.newBuilder().setEventId("e2e-burst").setRequestId(d.getRequestId()).build());
        assertEquals(told.getOutcome(), crossRegion.getDecision().getOutcome());
      }
      var retried =
          fx.buyer(d.getRegion())
              .purchase(PurchaseRequest.newBuilder().setEventId("e2e-burst").setUserId(d.getUserId()).setRequestId(d.getRequestId()).setQuantity(1).build());
      assertEquals(told, retried.getDecision());
    }
    assertEquals(STOCK, fx.store.readOutbox("e2e-burst").size(), "every winner is in the outbox");

    // the arbiter's Prometheus endpoint counts the same wins
    try (var endpoint = flashsale.metrics.MetricsEndpoint.start(fx.cluster.arbiter().metrics(), 0)) {
      var http = java.net.http.HttpClient.newHttpClient();
      var response =
          http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertTrue(response.body().contains("flashsale_decisions_total{outcome=\"won\"} " + STOCK + ".0"), response.body());
      // losses count too, those decided on the sold-out path included
      long lost = answers.values().stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_LOST).count();
      assertTrue(lost > 0, "the burst is larger than the stock");
      assertTrue(response.body().contains("flashsale_decisions_total{outcome=\"lost\"} " + lost + ".0"), response.body());
      assertTrue(response.body().contains("flashsale_decision_latency_seconds_bucket{le=\"+Inf\"} " + (STOCK + lost)),
          response.body());
    }
    // and each region counts the Purchase calls it answered
    String regionMetrics = fx.cluster.region("far").metrics().scrape();
    assertTrue(regionMetrics.contains("grpc_server_processing_duration_seconds_count{method=\"Purchase\",method_type=\"UNARY\","
        + "service=\"flashsale.v1.FlashSaleService\",status_code=\"OK\"}"), regionMetrics);
  }
}
