package flashsale.system;

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
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.PurchaseDecision;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A Redis-backed local cluster plus client channels to it; closes everything it opened. */
final class ClusterFixture implements AutoCloseable {
  final RedisServer redis;
  final ArbiterStore store;
  final LocalCluster cluster;
  private final Map<String, ManagedChannel> channels = new HashMap<>();

  ClusterFixture(List<RegionSpec> regions) throws Exception {
    redis = RedisServer.start();
    store = ArbiterStores.open(redis.uri());
    cluster = LocalCluster.start(store, regions, 2).awaitConnected(Duration.ofSeconds(30));
  }

  /** One channel per target, shared by every stub of this fixture. */
  synchronized ManagedChannel channel(String target) {
    return channels.computeIfAbsent(target, t -> Grpc.newChannelBuilder(t, InsecureChannelCredentials.create()).build());
  }

  EventAdminServiceGrpc.EventAdminServiceBlockingStub admin() {
    return EventAdminServiceGrpc.newBlockingStub(channel(cluster.arbiterTarget()));
  }

  FlashSaleServiceGrpc.FlashSaleServiceBlockingStub buyer(String region) {
    return FlashSaleServiceGrpc.newBlockingStub(channel(cluster.regionTarget(region)));
  }

  FlashSaleServiceGrpc.FlashSaleServiceStub asyncBuyer(String region) {
    return FlashSaleServiceGrpc.newStub(channel(cluster.regionTarget(region)));
  }

  /** Creates an open GLOBAL_ORDER event over all regions, window relative to now. */
  Event createEvent(String eventId, long stock, long startOffsetMillis, long lengthMillis) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event =
        Event.newBuilder()
            .setEventId(eventId)
            .setItem("limited sneakers")
            .setStock(stock)
            .setStartTime(Times.timestamp(nowMicros + startOffsetMillis * 1000))
            .setEndTime(Times.timestamp(nowMicros + (startOffsetMillis + lengthMillis) * 1000))
            .setPerUserLimit(1)
            .addAllRegions(cluster.regionNames())
            .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)
            .build();
    return admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build()).getEvent();
  }

  /** The arbiter's audit log of {@code eventId}, every page, in rank order. */
  List<PurchaseDecision> decisions(String eventId) {
    List<PurchaseDecision> log = new ArrayList<>();
    String token = "";
    do {
      var page = admin().listDecisions(
          ListDecisionsRequest.newBuilder().setEventId(eventId).setPageSize(100).setPageToken(token).build());
      log.addAll(page.getDecisionsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return log;
  }

  /** Waits until {@code requestId} is stamped at {@code region} (pending or decided there); fails after 10 s. */
  void awaitStamped(String region, String eventId, String requestId) throws InterruptedException {
    long deadlineNanos = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    var lookup = flashsale.v1.GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    while (true) {
      try {
        buyer(region).getPurchase(lookup);
        return;
      } catch (io.grpc.StatusRuntimeException notYet) {
        if (System.nanoTime() > deadlineNanos) throw new AssertionError(requestId + " never reached region " + region);
        Thread.sleep(1);
      }
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    cluster.close();
    redis.close();
  }
}
