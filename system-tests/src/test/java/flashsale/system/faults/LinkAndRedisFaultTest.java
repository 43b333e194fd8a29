package flashsale.system.faults;

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
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
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

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServer.start(true);
    store = ArbiterStores.open(redis.uri());
    checker = ArbiterStores.open(redis.uri());
    cluster = LocalCluster.start(store, List.of(new RegionSpec("near", 0, Duration.ZERO),
        new RegionSpec("far", 10, Duration.ZERO)), 2).awaitConnected(Duration.ofSeconds(30));
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

  @Test
  void regionLinkCutAndRestored() throws Exception {
    SaleHistory h = sale("cut-1", () -> cluster.link("far").cutConnections());
    System.out.println("far link cut: " + h.check(checker, STOCK, LinkAndRedisFaultTest::buyer));
  }

  @Test
  void regionLinkDelayedPastTheRegionTimeout() throws Exception {
    // 2.5 s one way > the 2 s region timeout: far is left out, near keeps selling, far comes back late.
    SaleHistory h = sale("delay-1", () -> {
      cluster.link("far").setOneWayDelayMillis(2_500);
      later(3_000, () -> cluster.link("far").setOneWayDelayMillis(10));
    });
    System.out.println("far link delayed 2500 ms: " + h.check(checker, STOCK, LinkAndRedisFaultTest::buyer));
  }

  @Test
  void redisKilledAndRestartedWithAppendOnlyFile() throws Exception {
    SaleHistory h = sale("redis-1", () -> {
      redis.kill();
      later(1_500, redis::restart);
    });
    System.out.println("redis SIGKILL + restart after 1500 ms: " + h.check(checker, STOCK, LinkAndRedisFaultTest::buyer));
  }
}
