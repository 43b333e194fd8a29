package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.DevPki;
import flashsale.region.RegionServer;
import flashsale.store.ArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two arbiter processes on one AOF Redis with the leader lease, two regions in this JVM that know
 * both arbiters, everything over mutual TLS as deployed (regions and the operator by certificate). The leader is SIGKILLed mid-burst (repeatedly, measuring takeover) or SIGSTOPped
 * past its lease and resumed (split brain); every sale must keep every rule.
 */
class ArbiterFailoverFaultTest {
  static final long STOCK = 40;
  static final int PURCHASES = 240;

  /** Every node and client speaks mutual TLS from this throw-away CA. */
  static FailoverCluster cluster;
  static String redisUri;
  static DevPki pki;
  static ArbiterStore store;
  static List<ArbiterProcess> arbiters;
  static Map<String, RegionServer> regions;

  @BeforeAll
  static void start() throws Exception {
    cluster = FailoverCluster.start(List.of("arb-a", "arb-b"), "pki-failover");
    redisUri = cluster.redisUri;
    pki = cluster.pki;
    store = cluster.store;
    arbiters = cluster.arbiters;
    regions = cluster.regions;
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  /** A buyer's plaintext channel to a region. */
  static ManagedChannel channel(String target) {
    return cluster.channel(target, InsecureChannelCredentials.create());
  }

  /** An operator's mutual-TLS channel to an arbiter, with the admin role. */
  static ManagedChannel adminChannel(ArbiterProcess a) {
    return cluster.adminChannel(a);
  }

  static EventAdminServiceGrpc.EventAdminServiceBlockingStub admin(ArbiterProcess a) {
    return cluster.admin(a);
  }

  /** The node that answers admin calls (the leader, rebuilt); polls until one does. */
  static ArbiterProcess awaitLeader(long timeoutMs) throws InterruptedException {
    return cluster.awaitLeader(timeoutMs);
  }

  static ArbiterProcess other(ArbiterProcess a) {
    return cluster.other(a);
  }

  /** Waits until {@code a} runs and answers as a standby (NOT_LEADER), so it can take over. */
  static void awaitStandby(ArbiterProcess a, long timeoutMs) throws InterruptedException {
    cluster.awaitStandby(a, timeoutMs);
  }

  static void createEvent(ArbiterProcess leader, String eventId) {
    createEvent(leader, eventId, STOCK);
  }

  static void createEvent(ArbiterProcess leader, String eventId, long stock) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(stock)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(regions.keySet()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    admin(leader).createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
  }

  /**
   * Ms from {@code sinceNanos} until {@code arbiter} leads with every region connected to it, or
   * {@code limitMs} if that has not happened by then.
   */
  static long awaitRegionsOn(ArbiterProcess arbiter, long sinceNanos, long limitMs) throws InterruptedException {
    ManagedChannel admin = adminChannel(arbiter);
    while (true) {
      long elapsedMs = (System.nanoTime() - sinceNanos) / 1_000_000;
      if (elapsedMs >= limitMs) return limitMs;
      try {
        var seen = EventAdminServiceGrpc.newBlockingStub(admin)
            .withDeadlineAfter(500, TimeUnit.MILLISECONDS).listRegions(ListRegionsRequest.getDefaultInstance());
        if (seen.getRegionsList().stream().filter(r -> r.getConnected()).count() == regions.size()) return elapsedMs;
      } catch (StatusRuntimeException notYet) {
        // still a standby, or recovering
      }
      Thread.sleep(20);
    }
  }

  static Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers() {
    Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> stubs = new LinkedHashMap<>();
    regions.forEach((name, r) -> stubs.put(name, FlashSaleServiceGrpc.newStub(channel("127.0.0.1:" + r.port()))));
    return stubs;
  }

  static FlashSaleServiceGrpc.FlashSaleServiceBlockingStub buyer(String region) {
    return FlashSaleServiceGrpc.newBlockingStub(channel("127.0.0.1:" + regions.get(region).port()));
  }

  @Test
  void leaderKilledMidBurstRepeatedlyLosesNoDecision() throws Exception {
    List<Long> takeoverMs = new ArrayList<>();
    for (int round = 1; round <= 4; round++) {
      ArbiterProcess leader = awaitLeader(30_000);
      awaitStandby(other(leader), 60_000); // restarted last round: takeover must not wait for its JVM
      PartitionLeases.Lease killedLease = leaseHeldBy(leader);
      String eventId = "kill-" + round;
      createEvent(leader, eventId);
      SaleHistory history = new SaleHistory(eventId);
      CompletableFuture<Long> takeover = new CompletableFuture<>();
      history.burst(buyers(), PURCHASES, () -> killAndTimeTakeover(leader, takeover));
      takeover.get(30, TimeUnit.SECONDS);
      // The fault first: purchases were open when the leader died, and the standby took over.
      assertTrue(history.inFlightAfterFault() > 0, "round " + round + ": no purchase was pending when the leader died");
      assertTookOver(other(leader), killedLease);
      System.out.println("leader SIGKILL round " + round + ": " + history.check(store, STOCK, ArbiterFailoverFaultTest::buyer)
          + " takeoverMs=" + takeover.get(30, TimeUnit.SECONDS) + " pendingAtKill=" + history.inFlightAfterFault());
      takeoverMs.add(takeover.get());
      leader.start(); // back as a standby for the next round
    }
    List<Long> sorted = takeoverMs.stream().sorted().toList();
    System.out.printf("takeover after SIGKILL (lease ttl %d ms, renew %d ms): p50=%d ms max=%d ms all=%s%n",
        ArbiterProcess.LEASE_TTL_MS, ArbiterProcess.LEASE_RENEW_MS, sorted.get(sorted.size() / 2),
        sorted.get(sorted.size() - 1), takeoverMs);
  }

  @Test
  void leaderKilledMidAuctionLosesNoAcceptedBidAndClosesWithTheResultItsBidsGive() throws Exception {
    ArbiterProcess leader = awaitLeader(30_000);
    awaitStandby(other(leader), 60_000);
    PartitionLeases.Lease killedLease = leaseHeldBy(leader);
    String eventId = "auction-kill-1";
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("painting")
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 10_000_000L))
        .addAllRegions(regions.keySet()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)
        .setKind(flashsale.v1.EventKind.EVENT_KIND_AUCTION)
        .setAuction(flashsale.v1.AuctionSettings.newBuilder().setUnits(3).setReservePriceMinor(1_000)
            .setMinIncrementMinor(10).setCurrencyCode("EUR")).build();
    admin(leader).createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
    for (String region : regions.keySet()) {
      buyer(region).getEvent(flashsale.v1.GetEventRequest.newBuilder().setEventId(eventId).build()); // known before bids
    }
    List<String> names = List.copyOf(regions.keySet());
    Map<String, FlashSaleServiceGrpc.FlashSaleServiceFutureStub> stubs = new LinkedHashMap<>();
    regions.forEach((name, r) -> stubs.put(name, FlashSaleServiceGrpc.newFutureStub(channel("127.0.0.1:" + r.port()))));
    java.util.Random random = new java.util.Random(14);
    Map<String, java.util.concurrent.Future<flashsale.v1.PurchaseDecision>> answers = new LinkedHashMap<>();
    CompletableFuture<Long> takeover = new CompletableFuture<>();
    int bids = 200;
    long answeredBeforeKill = 0;
    for (int i = 0; i < bids; i++) {
      if (i == bids / 3) {
        // Paced 10 ms apart, every bid sent may be answered by now: the kill is mid-auction when the
        // leader has answered some and two thirds are still to come.
        answeredBeforeKill = answers.values().stream()
            .filter(a -> a.state() == java.util.concurrent.Future.State.SUCCESS).count();
        killAndTimeTakeover(leader, takeover);
      }
      String requestId = eventId + "-" + i;
      var answer = com.google.common.util.concurrent.Futures.transform(
          stubs.get(names.get(i % names.size())).withDeadlineAfter(60, TimeUnit.SECONDS).placeBid(flashsale.v1.PlaceBidRequest.newBuilder()
                  .setEventId(eventId).setUserId("u" + i).setRequestId(requestId)
                  .setAmountMinor(1_000 + random.nextInt(5_000)).setCurrencyCode("EUR").build()),
          flashsale.v1.PlaceBidResponse::getDecision, com.google.common.util.concurrent.MoreExecutors.directExecutor());
      answers.put(requestId, answer);
      Thread.sleep(10);
    }
    takeover.get(30, TimeUnit.SECONDS);
    assertTrue(answeredBeforeKill > 0, "the leader died before answering any bid: not mid-auction");
    assertTookOver(other(leader), killedLease);
    int accepted = 0;
    int failed = 0;
    for (var e : answers.entrySet()) {
      flashsale.v1.PurchaseDecision told;
      try {
        told = e.getValue().get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException refused) {
        failed++; // an error status, never a decision: nothing was told
        continue;
      }
      var stored = store.findDecision(eventId, e.getKey()).orElseThrow(() -> new AssertionError("told but not stored: " + e.getKey()));
      assertEquals(told.getBid(), flashsale.wire.WireMapping.toProto(stored).getBid(), "told as stored: " + e.getKey());
      if (told.getBid().getAnswer() == flashsale.v1.BidAnswer.BID_ANSWER_ACCEPTED) accepted++;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (store.findAuctionClose(eventId).isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
    var result = store.findAuctionClose(eventId).orElseThrow(() -> new AssertionError("the auction never closed"));
    // Every stored answer, in rank order across both leaders, is the one a single judge gives, and so is the result.
    var spec = store.findEvent(eventId).orElseThrow();
    var judge = new flashsale.system.sim.SimAuctionOracle(spec);
    var ledger = store.loadLedger(eventId);
    ledger.decisions().forEach(judge::stored);
    judge.closed(result);
    assertEquals(ledger.decisions().size(), ledger.decisions().stream().map(d -> d.requestId()).distinct().count());
    assertEquals(result.winners().stream().map(t -> t.requestId()).toList(),
        store.readOutbox(eventId).stream().map(d -> d.requestId()).toList(), "the winners in the outbox");
    System.out.printf("leader SIGKILL mid-auction: %d bids (%d answered before the kill), %d decided (%d accepted as told), %d failed with a status, "
        + "winners %s, takeoverMs=%d%n", bids, answeredBeforeKill, ledger.decisions().size(), accepted, failed,
        result.winners().stream().map(t -> t.requestId() + "=" + t.bidMinor()).toList(), takeover.get(30, TimeUnit.SECONDS));
    assertTrue(accepted > 0, "no bid accepted: the test proves nothing");
    leader.start(); // back as a standby
  }

  /** The lease as Redis holds it, checked to name {@code leader}: the epoch a takeover must pass. */
  static PartitionLeases.Lease leaseHeldBy(ArbiterProcess leader) {
    PartitionLeases.Lease lease = PartitionLeases.readUnpartitioned(redisUri);
    assertEquals(leader.address(), lease.leader(), "the lease before the kill: " + lease);
    return lease;
  }

  /** After a kill: {@code successor} holds the lease, under a fencing epoch above the killed leader's. */
  static void assertTookOver(ArbiterProcess successor, PartitionLeases.Lease killed) {
    PartitionLeases.Lease now = PartitionLeases.readUnpartitioned(redisUri);
    assertEquals(successor.address(), now.leader(), "the lease after the kill: " + now);
    assertTrue(now.epoch() > killed.epoch(), "the fencing epoch did not move: " + killed + " -> " + now);
  }

  /** SIGKILLs {@code leader}; {@code takeover} completes with the ms until another node leads. */
  static void killAndTimeTakeover(ArbiterProcess leader, CompletableFuture<Long> takeover) {
    long killedNanos = System.nanoTime();
    try {
      leader.kill();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    CompletableFuture.runAsync(() -> {
      try {
        awaitLeader(30_000);
        takeover.complete((System.nanoTime() - killedNanos) / 1_000_000);
      } catch (Throwable t) {
        takeover.completeExceptionally(t);
      }
    });
  }

  /** A measurement, not a timed assertion: answers per 500 ms around a leader SIGKILL at t = 2 s. */
  @Test
  void throughputDuringAndAfterLeaderFailover() throws Exception {
    ArbiterProcess leader = awaitLeader(30_000);
    awaitStandby(other(leader), 60_000);
    PartitionLeases.Lease killedLease = leaseHeldBy(leader);
    long stock = 1_000_000; // never sells out: every answer is a real decision from the leader
    createEvent(leader, "steady-1", stock);
    SteadyLoad load = new SteadyLoad("steady-1");
    CompletableFuture<Long> takeover = new CompletableFuture<>();
    load.run(buyers(), 400, 6, 2_000, () -> killAndTimeTakeover(leader, takeover));
    long takeoverMs = takeover.get(30, TimeUnit.SECONDS);
    assertTookOver(other(leader), killedLease);
    leader.start(); // back as a standby

    var decisions = store.loadLedger("steady-1").decisions();
    assertEquals(decisions.size(), decisions.stream().map(d -> d.requestId()).distinct().count(), "one decision per request id");
    assertEquals(6 * 400, decisions.size() + load.errors(), "every purchase decided, or failed with an error status");
    long[] gap = load.longestGapMs();
    long recoveredMs = 2_000 + takeoverMs + 500;
    System.out.printf("throughput around leader SIGKILL at 2000 ms (offered 400/s, lease ttl %d ms, renew %d ms):%n"
            + "  answers per 500 ms: %s%n  longest gap without answers: %d ms from t=%d ms; takeover %d ms; errors %d%n"
            + "  answered/s before (0-2000 ms) %.0f, during (2000-%d ms) %.0f, after (%d-%d ms) %.0f%n",
        ArbiterProcess.LEASE_TTL_MS, ArbiterProcess.LEASE_RENEW_MS, load.perBucket(500), gap[0], gap[1], takeoverMs,
        load.errors(), load.ratePerSecond(0, 2_000), recoveredMs, load.ratePerSecond(2_000, recoveredMs), recoveredMs,
        load.spanMs(), load.ratePerSecond(recoveredMs, load.spanMs()));
  }

  @Test
  void leaderPausedPastItsLeaseIsDeposedAndNamesTheNewLeader() throws Exception {
    ArbiterProcess leader = awaitLeader(30_000);
    ArbiterProcess standby = other(leader);
    awaitStandby(standby, 60_000); // an earlier test may have just restarted it
    createEvent(leader, "pause-1");
    SaleHistory history = new SaleHistory("pause-1");
    CompletableFuture<Long> regionsMovedMs = new CompletableFuture<>();
    CompletableFuture<Void> resumed = new CompletableFuture<>();
    long pauseMs = 6 * ArbiterProcess.LEASE_TTL_MS; // lease ttl, recovery, the regions' silence timeout, and room for a busy machine
    history.burst(buyers(), PURCHASES, () -> {
      try {
        leader.pause();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      long pausedNanos = System.nanoTime();
      CompletableFuture.runAsync(() -> {
        try {
          regionsMovedMs.complete(awaitRegionsOn(standby, pausedNanos, pauseMs));
          Thread.sleep(Math.max(0, pauseMs - (System.nanoTime() - pausedNanos) / 1_000_000));
          leader.resume();
          resumed.complete(null);
        } catch (Exception e) {
          resumed.completeExceptionally(e);
        }
      });
    });
    resumed.get(30, TimeUnit.SECONDS);
    System.out.println("leader SIGSTOP past lease: " + history.check(store, STOCK, ArbiterFailoverFaultTest::buyer)
        + " regionsOnNewLeaderMs=" + regionsMovedMs.get());
    // A frozen leader keeps its TCP connections open: the regions must leave it on their own,
    // by the silence of the stream, not wait for it to wake up (or for TCP keepalive).
    assertTrue(regionsMovedMs.get() < pauseMs, "regions stayed on the frozen leader; moved after "
        + regionsMovedMs.get() + " ms of a " + pauseMs + " ms pause");
    ArbiterProcess newLeader = awaitLeader(10_000);
    assertTrue(newLeader != leader, "the paused leader must have been replaced");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    StatusRuntimeException refusal = null;
    while (System.nanoTime() < deadline) {
      try {
        admin(leader).listRegions(ListRegionsRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        refusal = e;
        if (Errors.infoOf(e).map(i -> i.getMetadataOrDefault("leader", "")).orElse("").equals(newLeader.address())) break;
      }
      Thread.sleep(50);
    }
    assertTrue(refusal != null, "the deposed leader still answers as leader");
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, refusal.getStatus().getCode());
    assertEquals("NOT_LEADER", Errors.reasonOf(refusal).orElse(""));
    assertEquals(newLeader.address(), Errors.infoOf(refusal).orElseThrow().getMetadataOrDefault("leader", ""));
  }
}
