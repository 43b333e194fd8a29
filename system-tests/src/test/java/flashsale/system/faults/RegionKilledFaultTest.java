package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.store.ArbiterStore;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisServer;
import flashsale.system.faults.RegionFailover.Retry;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.FlashSaleServiceGrpc.FlashSaleServiceStub;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.PurchaseState;
import flashsale.v1.RegionStatus;
import flashsale.wire.Times;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A region node SIGKILLed mid-burst, everything a real process: one arbiter, regions east and west.
 * East's buyers fail over to west with the same request ids ({@link RegionFailover}); the whole
 * history must keep every rule, the arbiter must flag east timed out while it is dead, and east,
 * restarted under the same id, must rejoin the frontier having lost only its pending calls.
 */
class RegionKilledFaultTest {
  // More than the first third of the burst can take, so the fault lands while the sale still sells
  // and the failed-over retries reach west before it hears "sold out".
  static final long STOCK = 150;
  static final int PURCHASES = 240;
  static final long WAIT_MS = 20_000;
  /** For a node process to start or restart: cold JVMs on a loaded 2-core box take 10-25 s. */
  static final long START_WAIT_MS = 60_000;

  static RedisServer redis;
  static ArbiterStore store;
  static ArbiterProcess arbiter;
  static final Map<String, RegionProcess> regions = new LinkedHashMap<>();
  static final List<ManagedChannel> channels = new ArrayList<>();
  static ManagedChannel adminChannel;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServer.start(true);
    store = new RedisArbiterStore(redis.uri());
    arbiter = new ArbiterProcess("arb-solo", redis.uri()).start();
    for (String region : List.of("east", "west")) {
      regions.put(region, new RegionProcess(region, List.of(arbiter.address())).start());
    }
    for (String region : regions.keySet()) awaitRegion(region, s -> s.getConnected(), "connected", START_WAIT_MS);
    for (RegionProcess region : regions.values()) region.awaitServing(Duration.ofMillis(START_WAIT_MS));
  }

  @AfterAll
  static void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    for (RegionProcess r : regions.values()) r.close();
    if (arbiter != null) arbiter.close();
    store.close();
    redis.close();
  }

  static ManagedChannel channel(String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  static EventAdminServiceGrpc.EventAdminServiceBlockingStub admin() {
    if (adminChannel == null) adminChannel = channel(arbiter.address());
    return EventAdminServiceGrpc.newBlockingStub(adminChannel).withDeadlineAfter(2, TimeUnit.SECONDS);
  }

  static RegionStatus awaitRegion(String region, Predicate<RegionStatus> state, String what) throws InterruptedException {
    return awaitRegion(region, state, what, WAIT_MS);
  }

  /**
   * Polls the arbiter (it may still be starting) until {@code region}'s status satisfies
   * {@code state}; failing, says what the processes were doing.
   */
  static RegionStatus awaitRegion(String region, Predicate<RegionStatus> state, String what, long waitMs)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
    RegionStatus last = null;
    while (System.nanoTime() < deadline) {
      try {
        for (RegionStatus s : admin().listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList()) {
          if (s.getRegion().equals(region)) last = s;
        }
        if (last != null && state.test(last)) return last;
      } catch (StatusRuntimeException e) {
        // the arbiter is starting or rebuilding; ask again
      }
      Thread.sleep(50);
    }
    throw new AssertionError("region " + region + " never " + what + " in " + waitMs + " ms; last status " + last
        + "\n" + arbiter.describe(30) + "\n" + regions.get(region).describe(30));
  }

  static void createEvent(String eventId, long stock) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(stock)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(regions.keySet()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
  }

  static FlashSaleServiceStub buyer(String region) {
    return FlashSaleServiceGrpc.newStub(channel(regions.get(region).address()));
  }

  static FlashSaleServiceGrpc.FlashSaleServiceBlockingStub blockingBuyer(String region) {
    return FlashSaleServiceGrpc.newBlockingStub(channel(regions.get(region).address()));
  }

  @Test
  void regionKilledMidBurstLosesOnlyItsPendingCallsAndRejoins() throws Exception {
    // Warm JVMs decide in a few ms, so the kill finds tickets both at east and at the arbiter.
    smallSaleInBothRegions("warm-up");
    createEvent("region-kill", STOCK);
    RegionFailover failover = new RegionFailover("east", channel(regions.get("west").address()));
    Map<String, FlashSaleServiceStub> buyers = new LinkedHashMap<>();
    buyers.put("east", FlashSaleServiceGrpc.newStub(
        ClientInterceptors.intercept(channel(regions.get("east").address()), failover)));
    buyers.put("west", buyer("west"));
    SaleHistory history = new SaleHistory("region-kill");
    // West paused first stalls the frontier, so east's last tickets wait at the arbiter, undecided,
    // when east dies with their calls: their retries must get the decisions recorded for them.
    CompletableFuture<Long> killedNanos = new CompletableFuture<>();
    history.burst(buyers, PURCHASES, () -> {
      pauseOrResume(regions.get("west"), true);
      CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS).execute(() -> {
        long nanos = System.nanoTime();
        try {
          regions.get("east").kill();
          pauseOrResume(regions.get("west"), false);
          killedNanos.complete(nanos);
        } catch (Exception e) {
          killedNanos.completeExceptionally(e);
        }
      });
    });
    killedNanos.get(30, TimeUnit.SECONDS);
    RegionStatus dead = awaitRegion("east", s -> s.getTimedOut() && !s.getConnected(), "flagged timed out");
    // GetPurchase for an error goes to west: any live region can resolve any request id.
    String figures = history.check(store, STOCK, r -> blockingBuyer("west"));

    Map<Retry, Long> retries = failover.retried().values().stream()
        .collect(Collectors.groupingBy(RegionFailover.Retried::outcome, Collectors.counting()));
    List<String> lostByKill = failover.startedBefore(killedNanos.get());
    assertFalse(failover.retried().isEmpty(), "east was killed mid-burst, yet no buyer had to fail over");
    assertEquals(0, retries.getOrDefault(Retry.FAILED, 0L) + retries.getOrDefault(Retry.PENDING, 0L),
        "every retry at west must be answered: " + retries);

    regions.get("east").start();
    RegionStatus back = awaitRegion("east", s -> s.getConnected() && !s.getTimedOut(), "rejoined", START_WAIT_MS);
    regions.get("east").awaitServing(Duration.ofMillis(START_WAIT_MS));
    assertTrue(back.getTimeouts() >= dead.getTimeouts() && dead.getTimeouts() >= 1, "timeouts " + dead + " / " + back);
    assertOnlyPendingCallsWereLost(failover);
    // Every request's decision, sold-out losses included, at the restarted east and at west alike.
    long soldOutLosses = history.checkEveryRequestResolvableAt(store, List.of(blockingBuyer("east"), blockingBuyer("west")));
    assertTrue(soldOutLosses > 0, "the burst sold out, yet no sold-out loss was checked");
    String rejoined = smallSaleInBothRegions("after-rejoin");
    System.out.printf("region SIGKILL mid-burst: %s%n  lost by the kill (pending at east)=%d, east calls refused while"
            + " dead=%d; retries at west: recorded decision=%d fresh stamp=%d%n"
            + "  every one of %d requests resolvable at east (restarted) and west, %d sold-out losses among them%n"
            + "  east flagged timed out while dead (timeouts=%d), rejoined after restart: %s%n",
        figures, lostByKill.size(), failover.retried().size() - lostByKill.size(),
        retries.getOrDefault(Retry.RECORDED_DECISION, 0L), retries.getOrDefault(Retry.FRESH_STAMP, 0L),
        history.answered(), soldOutLosses, back.getTimeouts(), rejoined);
  }

  private static void pauseOrResume(RegionProcess region, boolean pause) {
    try {
      if (pause) region.pause();
      else region.resume();
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The restarted east remembers none of the failed-over purchases, yet resolves each as the store has it. */
  private static void assertOnlyPendingCallsWereLost(RegionFailover failover) {
    Map<String, Decision> stored = store.loadLedger("region-kill").decisions().stream()
        .collect(Collectors.toMap(Decision::requestId, d -> d));
    var east = blockingBuyer("east");
    for (var entry : failover.retried().entrySet()) {
      var got = east.withDeadlineAfter(5, TimeUnit.SECONDS).getPurchase(
          GetPurchaseRequest.newBuilder().setEventId("region-kill").setRequestId(entry.getKey()).build());
      Decision decision = stored.get(entry.getKey());
      assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, got.getState(), entry.getKey());
      assertTrue(decision != null && decision.rank() == got.getDecision().getRank(),
          "restarted east says " + got.getDecision() + " for " + entry.getKey() + ", the store " + decision);
    }
  }

  /** A sale in both regions that must sell out with east's tickets ranked in order, not late. */
  private static String smallSaleInBothRegions(String eventId) throws InterruptedException {
    // stock above what west's half of the burst can take, so east's tickets must be ranked too
    createEvent(eventId, 40);
    SaleHistory history = new SaleHistory(eventId);
    history.burst(Map.of("east", buyer("east"), "west", buyer("west")), 60, () -> {});
    String figures = history.check(store, 40, RegionKilledFaultTest::blockingBuyer);
    List<Decision> fromEast = store.loadLedger(eventId).decisions().stream()
        .filter(d -> d.ticket().region().equals("east")).toList();
    assertFalse(fromEast.isEmpty(), "no ticket of the restarted east was decided");
    assertTrue(fromEast.stream().noneMatch(Decision::late), "east rejoined, yet its tickets were ranked late");
    return figures;
  }
}
