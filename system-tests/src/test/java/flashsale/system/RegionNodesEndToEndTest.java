package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.DevPki;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.credentials.Role;
import flashsale.store.ArbiterStore;
import flashsale.store.ArbiterStores;
import flashsale.store.testing.RedisServer;
import flashsale.system.security.RegionStreamProbe;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.RegionStatus;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes serve region {@code near} (each its own stream to the arbiter, both proving "near"
 * with their certificates) beside a region {@code far} 30 ms away: the stock sells out and never
 * over, every purchase is decided once, and a request id sent to both near nodes at once, or
 * retried at the other node or at far, gets the one decision.
 */
class RegionNodesEndToEndTest {
  static final int STOCK = 30;
  static final int PER_NODE = 40;
  static final int TWINS = 10;
  static RedisServer redis;
  static ArbiterStore store;
  static LocalCluster cluster;
  static ManagedChannel admin;
  static final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServer.start();
    store = ArbiterStores.open(redis.uri());
    DevPki pki = DevPki.create(Files.createTempDirectory("region-nodes-pki"));
    cluster = LocalCluster.start(store, List.of(new RegionSpec("near", 0, Duration.ZERO, 2),
            new RegionSpec("far", 30, Duration.ZERO)), 2, LocalCluster.ModeStores.none(), pki)
        .awaitConnected(Duration.ofSeconds(60));
    admin = cluster.adminChannel();
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (admin != null) admin.shutdownNow();
    if (cluster != null) cluster.close();
    if (redis != null) redis.close();
  }

  private static FlashSaleServiceGrpc.FlashSaleServiceStub buyer(String target) {
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(channel);
    return FlashSaleServiceGrpc.newStub(channel);
  }

  private static void createEvent(String eventId) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("shoes").setStock(STOCK)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 60_000_000))
        .setPerUserLimit(1).addAllRegions(List.of("near", "far")).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    EventAdminServiceGrpc.newBlockingStub(admin)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
  }

  /** Every answer by where it was asked ("target|request id"). */
  private record Answers(Map<String, PurchaseDecision> decided, Map<String, Throwable> failed, CountDownLatch done) {}

  private static void purchase(FlashSaleServiceGrpc.FlashSaleServiceStub stub, String at, String eventId,
      String requestId, Answers answers) {
    var request = PurchaseRequest.newBuilder().setEventId(eventId).setUserId("user-" + requestId)
        .setRequestId(requestId).setQuantity(1).build();
    stub.withDeadlineAfter(30, TimeUnit.SECONDS).purchase(request, new StreamObserver<>() {
      @Override
      public void onNext(PurchaseResponse r) {
        answers.decided().put(at + "|" + requestId, r.getDecision());
      }

      @Override
      public void onError(Throwable t) {
        answers.failed().put(at + "|" + requestId, t);
        answers.done().countDown();
      }

      @Override
      public void onCompleted() {
        answers.done().countDown();
      }
    });
  }

  @Test
  void twoNodesOfARegionAndAFarRegionDecideEveryPurchaseOnceAndRetriesAnywhereGetTheSameAnswer() throws Exception {
    String eventId = "nodes-" + System.nanoTime();
    createEvent(eventId);
    List<String> nearTargets = cluster.regionTargets("near");
    assertEquals(2, nearTargets.size());
    String far = cluster.regionTarget("far");
    List<String> targets = List.of(nearTargets.get(0), nearTargets.get(1), far);
    List<FlashSaleServiceGrpc.FlashSaleServiceStub> stubs = targets.stream().map(RegionNodesEndToEndTest::buyer).toList();

    Answers answers = new Answers(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(),
        new CountDownLatch(targets.size() * PER_NODE + 2 * TWINS));
    for (int i = 0; i < PER_NODE; i++) {
      for (int n = 0; n < targets.size(); n++) purchase(stubs.get(n), targets.get(n), eventId, "n" + n + "-" + i, answers);
      if (i < TWINS) { // one client's retry reaches the other node of near while the first is still pending
        purchase(stubs.get(0), targets.get(0), eventId, "twin-" + i, answers);
        purchase(stubs.get(1), targets.get(1), eventId, "twin-" + i, answers);
      }
    }
    assertTrue(answers.done().await(60, TimeUnit.SECONDS), "not every Purchase was answered");
    assertEquals(Map.of(), answers.failed(), "every Purchase gets a decision");

    // Each request id was decided once: the arbiter's log holds one decision per id, ranks 1..n.
    List<PurchaseDecision> logged = listDecisions(eventId);
    int requests = targets.size() * PER_NODE + TWINS;
    assertEquals(requests, logged.size(), "one decision per request id");
    assertEquals(requests, logged.stream().map(PurchaseDecision::getRequestId).distinct().count());
    assertEquals(requests, logged.stream().mapToLong(PurchaseDecision::getRank).distinct().count());
    assertEquals(STOCK, logged.stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_WON).count(),
        "the stock sells out, never over");
    Map<String, PurchaseDecision> byId = new ConcurrentHashMap<>();
    logged.forEach(d -> byId.put(d.getRequestId(), d));

    // Every answer a buyer got is the logged decision, at whichever node it asked.
    answers.decided().forEach((key, told) -> {
      PurchaseDecision stored = byId.get(told.getRequestId());
      assertEquals(sameDecision(stored), sameDecision(told), "answer at " + key);
    });
    for (int i = 0; i < TWINS; i++) {
      assertEquals(answers.decided().get(targets.get(0) + "|twin-" + i), answers.decided().get(targets.get(1) + "|twin-" + i),
          "twin-" + i + " asked at both near nodes at once");
    }
    // Decisions name the node that stamped them.
    for (int n = 0; n < 2; n++) {
      String node = "near-" + (n + 1);
      for (int i = 0; i < PER_NODE; i++) assertEquals(node, byId.get("n" + n + "-" + i).getRegionNode());
    }

    // Retries after the decision, at the other near node and at far, get the same answer.
    Answers retries = new Answers(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new CountDownLatch(3 * 10));
    for (int i = 0; i < 10; i++) {
      purchase(stubs.get(1), targets.get(1), eventId, "n0-" + i, retries);
      purchase(stubs.get(2), targets.get(2), eventId, "n1-" + i, retries);
      purchase(stubs.get(0), targets.get(0), eventId, "n2-" + i, retries);
    }
    assertTrue(retries.done().await(30, TimeUnit.SECONDS), "not every retry was answered");
    assertEquals(Map.of(), retries.failed());
    assertEquals(30, retries.decided().size());
    retries.decided().forEach((key, told) -> assertEquals(sameDecision(byId.get(told.getRequestId())), sameDecision(told),
        "retry at " + key));
    assertEquals(requests, listDecisions(eventId).size(), "retries added no decision");

    // The sold-out notice reached every node of near (and far): each shows the same sold-out stamp.
    Set<Long> soldOutAt = new HashSet<>();
    for (String target : targets) {
      ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
      channels.add(channel);
      var view = FlashSaleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .getEvent(flashsale.v1.GetEventRequest.newBuilder().setEventId(eventId).build());
      assertTrue(view.hasSoldOutTime(), "no sold-out notice at " + target + ": " + view);
      soldOutAt.add(Times.micros(view.getSoldOutTime()));
    }
    assertEquals(1, soldOutAt.size(), "one sold-out stamp everywhere: " + soldOutAt);

    // The arbiter lists each near node as its own stream.
    List<RegionStatus> regions = EventAdminServiceGrpc.newBlockingStub(admin)
        .listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList();
    Set<String> nearNodes = new HashSet<>();
    regions.stream().filter(r -> r.getRegion().equals("near") && r.getConnected()).forEach(r -> nearNodes.add(r.getNodeId()));
    assertEquals(Set.of("near-1", "near-2"), nearNodes, regions.toString());
  }

  /** What a buyer is told, without the node-specific wording. */
  private static String sameDecision(PurchaseDecision d) {
    return d.getRequestId() + " " + d.getOutcome() + " rank " + d.getRank() + " stamped "
        + Times.micros(d.getArrivalTime()) + " at " + d.getRegion() + "/" + d.getRegionNode();
  }

  private static List<PurchaseDecision> listDecisions(String eventId) {
    List<PurchaseDecision> all = new ArrayList<>();
    String token = "";
    do {
      var page = EventAdminServiceGrpc.newBlockingStub(admin).listDecisions(
          ListDecisionsRequest.newBuilder().setEventId(eventId).setPageSize(100).setPageToken(token).build());
      all.addAll(page.getDecisionsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  @Test
  void aNearNodeCertificateCannotSpeakForFarWhateverNodeIdItClaims() throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.arbiterTarget(),
        cluster.pki().credentials(Role.REGION, "near")).build();
    channels.add(channel);
    var cutOffs = cluster.arbiter().metrics().counter("flashsale_region_cutoffs");
    double cutOffsBefore = cutOffs.count();
    // near's certificate, any node id: the certificate proves near, so the hello as far is refused
    StatusRuntimeException refused = RegionStreamProbe.open(channel, "far", "far-1").awaitError();
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), refused.toString());
    assertEquals("IDENTITY_MISMATCH", Errors.reasonOf(refused).orElseThrow());
    assertEquals(cutOffsBefore + 1, cutOffs.count(), "an impersonating stream counts as a cut-off");
  }
}
