package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.ArbiterStores;
import flashsale.store.testing.RedisServer;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.RegionStatus;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Region-link and Redis faults on real servers: an arbiter and two regions on loopback, the far
 * one behind a TCP delay proxy, the store on an AOF ({@code appendfsync always}) Redis that the
 * test kills and restarts. Every sale must keep every rule.
 */
class LinkAndRedisFaultTest {
  static final long STOCK = 40;
  static final int PURCHASES = 240;

  static RedisServer redis;
  static ArbiterStore store;
  static ArbiterStore checker;
  static LocalCluster cluster;
  static final List<ManagedChannel> channels = new ArrayList<>();
  static EventAdminServiceGrpc.EventAdminServiceBlockingStub admin; // one channel for every status poll

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServer.start(true);
    store = ArbiterStores.open(redis.uri());
    checker = ArbiterStores.open(redis.uri());
    cluster = LocalCluster.start(store, List.of(new RegionSpec("near", 0, Duration.ZERO),
        new RegionSpec("far", 10, Duration.ZERO)), 2).awaitConnected(Duration.ofSeconds(30));
    admin = EventAdminServiceGrpc.newBlockingStub(channel(cluster.arbiterTarget()));
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
    checker.close();
    redis.close();
  }

  static ManagedChannel channel(String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  static SaleHistory sale(String eventId, Runnable fault) throws Exception {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(STOCK)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(cluster.regionNames()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    EventAdminServiceGrpc.newBlockingStub(channel(cluster.arbiterTarget()))
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
    Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers = new LinkedHashMap<>();
    for (String r : cluster.regionNames()) buyers.put(r, FlashSaleServiceGrpc.newStub(channel(cluster.regionTarget(r))));
    SaleHistory history = new SaleHistory(eventId);
    history.burst(buyers, PURCHASES, fault);
    return history;
  }

  static FlashSaleServiceGrpc.FlashSaleServiceBlockingStub buyer(String region) {
    return FlashSaleServiceGrpc.newBlockingStub(channel(cluster.regionTarget(region)));
  }

  static void later(long delayMs, Runnable action) {
    CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS).execute(action);
  }

  /** Every status row of {@code region} the arbiter lists (one per node). */
  static List<RegionStatus> statusOf(String region) {
    return admin.withDeadlineAfter(5, TimeUnit.SECONDS)
        .listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList().stream()
        .filter(s -> s.getRegion().equals(region)).toList();
  }

  /** How often the arbiter has left {@code region} out of the frontier for silence. */
  static long timeoutsOf(String region) {
    return statusOf(region).stream().mapToLong(RegionStatus::getTimeouts).sum();
  }

  /** Decision batches the arbiter's persist-latency histogram shows taking over a second to become durable. */
  static long persistsOverOneSecond() {
    HistogramSnapshot persists = cluster.arbiter().metrics().get("flashsale_persist_latency").timer().takeSnapshot();
    double withinOneSecond = Arrays.stream(persists.histogramCounts()).filter(b -> b.bucket(TimeUnit.SECONDS) == 1.0)
        .findFirst().orElseThrow().count();
    return persists.count() - (long) withinOneSecond;
  }

  /** Polls {@code condition} for up to 10 s; fails with {@code failure} if it never holds. */
  static void awaitFault(String failure, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure + " (waited 10 s)");
      Thread.sleep(50);
    }
  }

  @Test
  void regionLinkCutAndRestored() throws Exception {
    int connectionsBefore = cluster.link("far").connectionOpenings().size();
    SaleHistory h = sale("cut-1", () -> cluster.link("far").cutConnections());
    // The fault first: far's stream broke, so far dialled the arbiter anew through its link, and got back on.
    awaitFault("far opened no new connection through its link after the cut",
        () -> cluster.link("far").connectionOpenings().size() > connectionsBefore);
    awaitFault("far never got back on the arbiter", () -> statusOf("far").stream().anyMatch(RegionStatus::getConnected));
    System.out.println("far link cut: " + h.check(checker, STOCK, LinkAndRedisFaultTest::buyer));
  }

  @Test
  void regionLinkDelayedPastTheRegionTimeout() throws Exception {
    long timeoutsBefore = timeoutsOf("far");
    // 2.5 s one way > the 2 s region timeout: far is left out, near keeps selling, far comes back late.
    SaleHistory h = sale("delay-1", () -> {
      cluster.link("far").setOneWayDelayMillis(2_500);
      later(3_000, () -> cluster.link("far").setOneWayDelayMillis(10));
    });
    // The fault first: the delay held far's traffic back long enough that the arbiter timed far out.
    awaitFault("the arbiter never timed far out (timeouts stayed " + timeoutsBefore + ")",
        () -> timeoutsOf("far") > timeoutsBefore);
    System.out.println("far link delayed 2500 ms: " + h.check(checker, STOCK, LinkAndRedisFaultTest::buyer));
  }

  @Test
  void redisKilledAndRestartedWithAppendOnlyFile() throws Exception {
    long slowPersistsBefore = persistsOverOneSecond();
    AtomicBoolean answeredAfterKill = new AtomicBoolean(true);
    SaleHistory h = sale("redis-1", () -> {
      redis.kill();
      answeredAfterKill.set(redis.answersPing());
      later(1_500, redis::restart);
    });
    // The fault first: Redis was down, and the arbiter waited it out with decisions to make durable.
    assertFalse(answeredAfterKill.get(), "Redis still answered PING after the kill");
    assertTrue(persistsOverOneSecond() > slowPersistsBefore, "no decision batch took over a second to persist: "
        + "the arbiter never met the outage");
    System.out.println("redis SIGKILL + restart after 1500 ms: " + h.check(checker, STOCK, LinkAndRedisFaultTest::buyer));
  }
}
