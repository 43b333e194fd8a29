package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.RegionServer;
import flashsale.sale.Partitions;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.InsecureChannelCredentials;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Leadership split into 8 partitions over two arbiter processes (mutual TLS, AOF Redis, lease ttl
 * 1 s): they lead disjoint, even shares; every region node keeps a stream per partition. 100 events
 * are sold from two regions, and one arbiter is SIGKILLed a third of the way through: only its
 * partitions change hands (the survivor's keep their epochs), and every event's sale keeps every rule.
 * Restarted, it takes back an even share (issue 12): only the partitions handed back change epoch,
 * and events on both halves sell keeping every rule.
 */
class PartitionedLeadershipFaultTest {
  static final int PARTITIONS = 8;
  static final int EVENTS = 100;
  static final long STOCK = 3;
  static final int PURCHASES_PER_EVENT = 6;
  static final int REJOIN_EVENTS = 16;
  /** From the restart of the killed arbiter until the split is even again (a cold JVM on a loaded box). */
  static final long REJOIN_TIMEOUT_MS = 30_000;

  @Test
  void disjointSharesAKillMovesOnlyTheKilledOnesPartitionsAndARestartTakesBackAnEvenShare() throws Exception {
    try (FailoverCluster cluster = FailoverCluster.start(List.of("arb-a", "arb-b"), "pki-partitions", PARTITIONS)) {
      ArbiterProcess a = cluster.arbiters.get(0);
      ArbiterProcess b = cluster.arbiters.get(1);
      PartitionLeases.View before = cluster.awaitPartitionLeaders(PARTITIONS,
          view -> view.countsByLeader().size() == 2 && view.countsByLeader().values().stream().allMatch(n -> n == 4), 30_000);
      List<Integer> ofA = before.ledBy(a.address());
      List<Integer> ofB = before.ledBy(b.address());
      assertEquals(4, ofA.size(), before.toString());
      assertEquals(4, ofB.size(), before.toString());
      Set<Integer> all = new HashSet<>(ofA);
      all.addAll(ofB);
      assertEquals(PARTITIONS, all.size(), "shares overlap or leave a partition out: " + before);

      awaitRegionsLinked(cluster, 60_000);
      // One operator channel per arbiter for the whole test (a new TLS handshake per call takes
      // seconds on this loaded box).
      Map<ArbiterProcess, EventAdminServiceGrpc.EventAdminServiceBlockingStub> admins = new LinkedHashMap<>();
      for (ArbiterProcess x : cluster.arbiters) admins.put(x, EventAdminServiceGrpc.newBlockingStub(cluster.adminChannel(x)));
      Partitions partitions = new Partitions(PARTITIONS);
      List<String> events = new ArrayList<>();
      for (int i = 0; i < EVENTS; i++) events.add("split-sale-" + i);
      for (String eventId : events) createEvent(cluster, admins, eventId);
      // Each event is served by its partition's leader alone; the other arbiter names that leader.
      int[] servedBy = new int[2];
      for (String eventId : events) {
        ArbiterProcess leader = ofA.contains(partitions.of(eventId)) ? a : b;
        ArbiterProcess other = leader == a ? b : a;
        admin(admins, leader).getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build());
        StatusRuntimeException refused = expectRefused(() -> admin(admins, other)
            .getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build()));
        assertEquals("NOT_LEADER", Errors.reasonOf(refused).orElse(""), eventId);
        assertEquals(leader.address(), Errors.infoOf(refused).orElseThrow().getMetadataOrDefault("leader", ""), eventId);
        servedBy[leader == a ? 0 : 1]++;
      }
      System.out.printf("partitions: arb-a leads %s, arb-b leads %s; of %d events arb-a serves %d, arb-b %d%n",
          ofA, ofB, EVENTS, servedBy[0], servedBy[1]);
      assertTrue(servedBy[0] > 0 && servedBy[1] > 0, "both arbiters must serve some events");

      Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers = new LinkedHashMap<>();
      cluster.regions.forEach((name, server) -> buyers.put(name, FlashSaleServiceGrpc.newStub(
          cluster.channel("127.0.0.1:" + server.port(), InsecureChannelCredentials.create()))));
      var takeoverMs = new java.util.concurrent.CompletableFuture<Long>();
      List<SaleHistory> histories = sellKillingOneThirdIn(buyers, events, a, () -> {
        long killedAtNanos = System.nanoTime();
        Thread.ofVirtual().start(() -> { // from the kill until Redis shows every partition on arb-b
          try {
            cluster.awaitPartitionLeaders(PARTITIONS, view -> view.countsByLeader().equals(Map.of(b.address(), PARTITIONS)),
                30_000);
            takeoverMs.complete((System.nanoTime() - killedAtNanos) / 1_000_000);
          } catch (Throwable t) {
            takeoverMs.completeExceptionally(t);
          }
        });
      });

      PartitionLeases.View after = cluster.awaitPartitionLeaders(PARTITIONS,
          view -> view.countsByLeader().equals(Map.of(b.address(), PARTITIONS)), 30_000);
      long movedMs = takeoverMs.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertOnlyMoved(before, after, ofA, ofB);
      int checked = 0;
      for (SaleHistory history : histories) {
        history.check(cluster.store, STOCK, region -> FlashSaleServiceGrpc.newBlockingStub(cluster.channel(
            "127.0.0.1:" + cluster.regions.get(region).port(), InsecureChannelCredentials.create())));
        checked++;
      }
      System.out.printf("killed arb-a during event %d: its partitions %s moved to arb-b (epochs %s -> %s), arb-b's %s"
              + " kept theirs; %d events x %d purchases checked (stock %d each); every lease on arb-b %d ms after the kill%n",
          EVENTS / 3, ofA, ofA.stream().map(p -> before.leases().get(p).epoch()).toList(),
          ofA.stream().map(p -> after.leases().get(p).epoch()).toList(), ofB, checked, PURCHASES_PER_EVENT, STOCK, movedMs);

      restartedArbiterTakesBackAFairShare(cluster, a, b, admins, buyers);
    }
  }

  /**
   * The operator restarts the killed arbiter (same id and address, a fresh JVM): the survivor hands
   * it back half the partitions and keeps the rest under the same epochs, and sales on both halves
   * keep every rule.
   */
  private static void restartedArbiterTakesBackAFairShare(FailoverCluster cluster, ArbiterProcess a, ArbiterProcess b,
      Map<ArbiterProcess, EventAdminServiceGrpc.EventAdminServiceBlockingStub> admins,
      Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers) throws Exception {
    PartitionLeases.View beforeRejoin = cluster.awaitPartitionLeaders(PARTITIONS,
        view -> view.countsByLeader().equals(Map.of(b.address(), PARTITIONS)), 1_000);
    long restartedAtNanos = System.nanoTime();
    a.start();
    PartitionLeases.View rejoined = cluster.awaitPartitionLeaders(PARTITIONS,
        view -> view.countsByLeader().equals(Map.of(a.address(), 4, b.address(), 4)), REJOIN_TIMEOUT_MS);
    long rebalanceMs = (System.nanoTime() - restartedAtNanos) / 1_000_000;
    List<Integer> backToA = rejoined.ledBy(a.address());
    List<Integer> keptByB = rejoined.ledBy(b.address());
    // Handed back: a higher epoch fences arb-b out of them. Kept: arb-b still holds them. (Their
    // epochs may rise too: a cold JVM starting on a loaded 2-core box can hold arb-b's renewals
    // past the 1 s test ttl, and arb-b then takes its own partition again under a new epoch.)
    for (int p : backToA) {
      assertTrue(rejoined.leases().get(p).epoch() > beforeRejoin.leases().get(p).epoch(),
          "partition " + p + " handed back kept its epoch: " + beforeRejoin + " -> " + rejoined);
    }
    List<Integer> retakenByB = keptByB.stream()
        .filter(p -> rejoined.leases().get(p).epoch() != beforeRejoin.leases().get(p).epoch()).toList();
    awaitRegionsLinked(cluster, REJOIN_TIMEOUT_MS);
    long linkedMs = (System.nanoTime() - restartedAtNanos) / 1_000_000;

    // The channel opened before the kill may sit in reconnect backoff: the operator opens a new one.
    admins.put(a, EventAdminServiceGrpc.newBlockingStub(cluster.adminChannel(a)));
    Partitions partitions = new Partitions(PARTITIONS);
    List<String> events = new ArrayList<>();
    for (int i = 0; i < REJOIN_EVENTS; i++) events.add("rejoin-sale-" + i);
    long onA = events.stream().filter(e -> backToA.contains(partitions.of(e))).count();
    assertTrue(onA > 0 && onA < REJOIN_EVENTS, "the events after the rejoin must fall on both arbiters' partitions");
    int checked = 0;
    for (String eventId : events) {
      createEvent(cluster, admins, eventId);
      SaleHistory history = new SaleHistory(eventId);
      history.burst(buyers, PURCHASES_PER_EVENT, () -> {});
      history.check(cluster.store, STOCK, region -> FlashSaleServiceGrpc.newBlockingStub(cluster.channel(
          "127.0.0.1:" + cluster.regions.get(region).port(), InsecureChannelCredentials.create())));
      checked++;
    }
    System.out.printf("restarted arb-a: 4+4 split %d ms after the restart (regions linked after %d ms); arb-a took"
            + " back %s (epochs %s -> %s), arb-b kept %s (of them re-taken under a new epoch: %s); %d events after the"
            + " rejoin (%d on arb-a) x %d purchases checked%n",
        rebalanceMs, linkedMs, backToA, backToA.stream().map(p -> beforeRejoin.leases().get(p).epoch()).toList(),
        backToA.stream().map(p -> rejoined.leases().get(p).epoch()).toList(), keptByB, retakenByB, checked, onA,
        PURCHASES_PER_EVENT);
  }

  /**
   * Sells {@code events} in turn ({@link #PURCHASES_PER_EVENT} purchases from every region), SIGKILLs
   * {@code victim} during the sale a third of the way through, then runs {@code afterKill}.
   */
  static List<SaleHistory> sellKillingOneThirdIn(Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers,
      List<String> events, ArbiterProcess victim, Runnable afterKill) throws InterruptedException {
    List<SaleHistory> histories = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      SaleHistory history = new SaleHistory(events.get(i));
      histories.add(history);
      boolean kill = i == events.size() / 3;
      history.burst(buyers, PURCHASES_PER_EVENT, () -> {
        if (!kill) return;
        try {
          victim.kill();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        afterKill.run();
      });
    }
    return histories;
  }

  /**
   * Between two views, the {@code moved} partitions changed hands (a higher epoch fences the old
   * leader) and the {@code kept} ones did not: the same arbiter holds them. (A kept one's epoch may
   * still rise: on two loaded cores, with four JVMs and the test's 1 s ttl, its own leader can miss
   * a renewal while it takes the others over, and takes it again itself; such re-takes are printed.)
   */
  static void assertOnlyMoved(PartitionLeases.View before, PartitionLeases.View after, List<Integer> moved,
      List<Integer> kept) {
    for (int p : kept) {
      assertEquals(before.leases().get(p).leader(), after.leases().get(p).leader(),
          "partition " + p + " changed hands though its leader kept running: " + before + " -> " + after);
      if (after.leases().get(p).epoch() != before.leases().get(p).epoch()) {
        System.out.printf("partition %d re-taken by its own leader %s (epoch %d -> %d)%n", p,
            after.leases().get(p).leader(), before.leases().get(p).epoch(), after.leases().get(p).epoch());
      }
    }
    for (int p : moved) {
      assertTrue(after.leases().get(p).epoch() > before.leases().get(p).epoch(),
          "partition " + p + " that moved kept its epoch: " + before + " -> " + after);
    }
  }

  private static EventAdminServiceGrpc.EventAdminServiceBlockingStub admin(
      Map<ArbiterProcess, EventAdminServiceGrpc.EventAdminServiceBlockingStub> admins, ArbiterProcess a) {
    return admins.get(a).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS);
  }

  /**
   * Creates the event at whichever arbiter leads its partition, as a client would: follows a
   * NOT_LEADER answer to the leader it names, and retries UNAVAILABLE (a leader that just stepped
   * down names nobody yet) at the other arbiter, for up to 10 s. The request id makes it idempotent.
   */
  static void createEvent(FailoverCluster cluster,
      Map<ArbiterProcess, EventAdminServiceGrpc.EventAdminServiceBlockingStub> admins, String eventId) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(STOCK)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(cluster.regions.keySet()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    var request = CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build();
    long deadline = System.nanoTime() + 10_000_000_000L;
    ArbiterProcess target = cluster.arbiters.get(0);
    while (true) {
      try {
        admin(admins, target).createEvent(request);
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE || System.nanoTime() > deadline) throw e;
        String leader = Errors.infoOf(e).map(info -> info.getMetadataOrDefault("leader", "")).orElse("");
        ArbiterProcess tried = target;
        Optional<ArbiterProcess> named = cluster.arbiters.stream().filter(x -> x.address().equals(leader)).findFirst();
        target = named.orElseGet(() -> cluster.arbiters.stream().filter(x -> x != tried).findFirst().orElse(tried));
        if (named.isPresent() && named.get() != tried) continue; // a redirect: follow it at once
        try {
          Thread.sleep(100); // nobody named yet: a new leader recovers its partition within a lease ttl
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static StatusRuntimeException expectRefused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the arbiter that does not lead the partition answered");
  }

  /** Every region node has a welcomed stream on every partition. */
  static void awaitRegionsLinked(FailoverCluster cluster, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!cluster.regions.values().stream().allMatch(r -> r.arbiterConnected() && r.warm())) {
      assertTrue(System.nanoTime() < deadline, "regions not linked on every partition after " + timeoutMs + " ms");
      Thread.sleep(20);
    }
  }
}
