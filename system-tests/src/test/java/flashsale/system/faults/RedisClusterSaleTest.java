package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.ArbiterStore;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisCluster;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.FlashSaleServiceGrpc.FlashSaleServiceStub;
import flashsale.v1.ListRegionsRequest;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sales on a real 3-master Redis Cluster, every node a real process: an arbiter given only
 * {@code redis-cluster://} seeds (store, function library and leader lease all on the cluster) and
 * regions east and west over gRPC. Events whose keys sit on each master sell out under the full
 * history check, and a sale survives a SIGKILL and restart of the master that holds both its event
 * and the leader lease.
 */
class RedisClusterSaleTest {
  static final long STOCK = 40;
  static final int PURCHASES = 240;
  static final long WAIT_MS = 90_000; // three JVMs start on a shared 2-core box

  static RedisCluster redis;
  static ArbiterStore checker;
  static ArbiterProcess arbiter;
  static final Map<String, RegionProcess> regions = new LinkedHashMap<>();
  static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    redis = RedisCluster.start();
    checker = new RedisArbiterStore(redis.uri());
    arbiter = new ArbiterProcess("arb-cluster", redis.uriOfOneSeed()).start();
    for (String region : List.of("east", "west")) {
      regions.put(region, new RegionProcess(region, List.of(arbiter.address())).start());
    }
    awaitRegionsConnected();
  }

  @AfterAll
  static void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    for (RegionProcess r : regions.values()) r.close();
    if (arbiter != null) arbiter.close();
    if (checker != null) checker.close();
    if (redis != null) redis.close();
  }

  @Test
  void eventsOnEveryMasterSellOutKeepingEveryRule() throws Exception {
    for (int master = 0; master < RedisCluster.MASTERS; master++) {
      String eventId = eventOnMaster("spread-", master);
      SaleHistory h = sale(eventId, () -> {});
      System.out.println("cluster sale on master " + master + ": " + h.check(checker, STOCK, RedisClusterSaleTest::blockingBuyer));
      assertEquals("1", redis.cliOn(master, "exists", "fs:{" + eventId + "}:outbox").strip(),
          "the event's keys are on master " + master);
    }
  }

  @Test
  void aSaleSurvivesTheRestartOfTheMasterHoldingItsEventAndTheLease() throws Exception {
    int leaseMaster = RedisCluster.masterOfSlot(SlotHash.getSlot("{arbiter}"));
    String eventId = eventOnMaster("restart-", leaseMaster);
    long epochBefore = leaseEpoch(leaseMaster);
    assertTrue(epochBefore > 0, "nobody holds the lease before the sale");
    CompletableFuture<Long> downMs = new CompletableFuture<>();
    AtomicReference<String> pingAfterKill = new AtomicReference<>("not sent");
    SaleHistory h = sale(eventId, () -> {
      long killedNanos = System.nanoTime();
      redis.kill(leaseMaster);
      pingAfterKill.set(cliOrError(leaseMaster, "ping"));
      CompletableFuture.delayedExecutor(1_500, TimeUnit.MILLISECONDS).execute(() -> {
        try {
          redis.start(leaseMaster);
          downMs.complete((System.nanoTime() - killedNanos) / 1_000_000);
        } catch (RuntimeException e) {
          downMs.completeExceptionally(e);
        }
      });
    });
    // The fault first: the master refused PING mid-sale, and the arbiter, unable to renew its lease
    // there for a whole ttl, stepped down and took it again under a new epoch.
    assertTrue(pingAfterKill.get().startsWith("error"), "the killed master answered PING: " + pingAfterKill.get());
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (leaseEpoch(leaseMaster) <= epochBefore) {
      assertTrue(System.nanoTime() < deadline, "the lease epoch stayed " + epochBefore + ": the arbiter never lost the lease");
      Thread.sleep(50);
    }
    String figures = h.check(checker, STOCK, RedisClusterSaleTest::blockingBuyer);
    long down = downMs.get(60, TimeUnit.SECONDS); // restarted, and the cluster reported ok again
    System.out.println("cluster master (event + lease) SIGKILL, restart after 1500 ms (until cluster ok: " + down
        + " ms): " + figures);
    assertTrue(down >= 1_500, "the master was down for the planned 1.5 s");
  }

  /** The leader lease's epoch as the master holding it says ({@code redis-cli HGET}); 0 while down or unheld. */
  static long leaseEpoch(int master) {
    String reply = cliOrError(master, "hget", "fs:{arbiter}:lease", "epoch").strip();
    return reply.matches("\\d+") ? Long.parseLong(reply) : 0;
  }

  /** What {@code redis-cli} printed for {@code args} on {@code master}, or "error: ..." when it failed. */
  static String cliOrError(int master, String... args) {
    try {
      return redis.cliOn(master, args);
    } catch (IllegalStateException e) {
      return "error: " + e.getMessage();
    }
  }

  /** The first id {@code prefix + n} whose slot the given master serves. */
  static String eventOnMaster(String prefix, int master) {
    for (int n = 0; ; n++) {
      if (RedisCluster.masterOfSlot(SlotHash.getSlot(prefix + n)) == master) return prefix + n;
    }
  }

  static SaleHistory sale(String eventId, Runnable fault) throws Exception {
    // a test before this one may have restarted a master under the lease
    awaitRegionsConnected();
    for (RegionProcess region : regions.values()) region.awaitServing(java.time.Duration.ofMillis(WAIT_MS));
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(STOCK)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(regions.keySet()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
    Map<String, FlashSaleServiceStub> buyers = new LinkedHashMap<>();
    for (String r : regions.keySet()) buyers.put(r, FlashSaleServiceGrpc.newStub(channel(regions.get(r).address())));
    SaleHistory history = new SaleHistory(eventId);
    history.burst(buyers, PURCHASES, fault);
    return history;
  }

  static ManagedChannel channel(String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  static EventAdminServiceGrpc.EventAdminServiceBlockingStub admin() {
    return EventAdminServiceGrpc.newBlockingStub(channel(arbiter.address())).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  static FlashSaleServiceGrpc.FlashSaleServiceBlockingStub blockingBuyer(String region) {
    return FlashSaleServiceGrpc.newBlockingStub(channel(regions.get(region).address()));
  }

  /** Polls the arbiter (it may still be acquiring the lease) until both regions are connected. */
  static void awaitRegionsConnected() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        var statuses = admin().listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList();
        last = statuses.toString();
        if (statuses.stream().filter(s -> s.getConnected()).count() == regions.size()) return;
      } catch (StatusRuntimeException e) {
        last = e.getStatus().toString(); // starting, or not leading yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError("regions not connected within " + WAIT_MS + " ms; last: " + last);
  }
}
