package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.sale.Decision;
import flashsale.store.ArbiterStore;
import flashsale.store.ArbiterStores;
import flashsale.store.ReplicaAcks;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisReplicated;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An arbiter whose Redis primary has one replica, run with {@code --redis-replica-acks 1}: the
 * replica is cut off mid-sale and the primary then dies, the replica promoted in its place. Every
 * decision a buyer was told must be on the promoted replica as told; purchases decided after the
 * cut stay pending instead of being told, since only the dying primary held them.
 */
class ReplicaFailoverFaultTest {
  private static final long STOCK = 60; // units left after the cut: what the dying primary decided there would be wins
  private static final int BEFORE_CUT = 40;
  private static final int AFTER_CUT = 40;

  @Test
  void nothingToldIsLostWhenThePrimaryDiesAndItsReplicaTakesOver() throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    try (RedisReplicated redis = RedisReplicated.start();
        ArbiterStore store = ArbiterStores.open(redis.primaryUri(), new ReplicaAcks(1, Duration.ofMillis(200)));
        LocalCluster cluster = LocalCluster.start(store, List.of(new RegionSpec("near", 0, Duration.ZERO),
            new RegionSpec("far", 5, Duration.ZERO)), 2).awaitConnected(Duration.ofSeconds(30))) {
      ManagedChannel admin = Grpc.newChannelBuilder(cluster.arbiterTarget(), InsecureChannelCredentials.create()).build();
      channels.add(admin);
      Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers = new java.util.LinkedHashMap<>();
      for (String region : cluster.regionNames()) {
        ManagedChannel c = Grpc.newChannelBuilder(cluster.regionTarget(region), InsecureChannelCredentials.create()).build();
        channels.add(c);
        buyers.put(region, FlashSaleServiceGrpc.newStub(c));
      }
      long nowMicros = System.currentTimeMillis() * 1000;
      Event event = Event.newBuilder().setEventId("replicated").setItem("sneakers").setStock(STOCK)
          .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
          .setPerUserLimit(1).addAllRegions(cluster.regionNames()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
      EventAdminServiceGrpc.newBlockingStub(admin).withDeadlineAfter(10, TimeUnit.SECONDS)
          .createEvent(CreateEventRequest.newBuilder().setRequestId("create-replicated").setEvent(event).build());

      Map<String, PurchaseDecision> told = new ConcurrentHashMap<>();
      buy(buyers, 0, BEFORE_CUT, told);
      awaitTold(told, BEFORE_CUT, 20_000);

      redis.cutReplica();
      buy(buyers, BEFORE_CUT, AFTER_CUT, told);
      Thread.sleep(3_000); // 15 replica waits' worth: long enough for a decision to be told if it were going to be
      assertEquals(BEFORE_CUT, told.size(), "a purchase decided after the cut was told while only the primary held it");
      long decidedOnThePrimaryAlone;
      try (ArbiterStore primary = new RedisArbiterStore(redis.primaryUri())) { // no acknowledgements: reads what is there
        decidedOnThePrimaryAlone = java.util.stream.IntStream.range(BEFORE_CUT, BEFORE_CUT + AFTER_CUT)
            .filter(i -> primary.findDecision("replicated", "p" + i).isPresent()).count();
      }
      assertTrue(decidedOnThePrimaryAlone > 0, "no purchase after the cut was decided: the test would prove nothing");

      redis.failOver();
      try (ArbiterStore promoted = new RedisArbiterStore(redis.replicaUri())) {
        long won = 0;
        for (var answer : told.entrySet()) {
          Decision stored = promoted.findDecision("replicated", answer.getKey()).orElse(null);
          assertTrue(stored != null, "told " + answer.getKey() + " " + answer.getValue().getOutcome()
              + ", but the promoted replica has no decision for it");
          assertEquals(answer.getValue().getRank(), stored.rank(), "rank of " + answer.getKey());
          assertEquals(answer.getValue().getOutcome() == Outcome.OUTCOME_WON, stored.won(), "outcome of " + answer.getKey());
          if (stored.won()) won++;
        }
        System.out.printf("replica failover: told %d of %d before the cut (%d won), %d of %d after it (%d of those decided"
            + " on the primary alone); every told decision on the promoted replica%n",
            BEFORE_CUT, BEFORE_CUT, won, told.size() - BEFORE_CUT, AFTER_CUT, decidedOnThePrimaryAlone);
      }
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  /** Purchases {@code from .. from+count-1}, one user each, round-robin over the regions; answers land in {@code told}. */
  private static void buy(Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers, int from, int count,
      Map<String, PurchaseDecision> told) {
    List<String> regions = List.copyOf(buyers.keySet());
    for (int i = from; i < from + count; i++) {
      String requestId = "p" + i;
      PurchaseRequest request = PurchaseRequest.newBuilder().setEventId("replicated").setUserId("u" + i)
          .setRequestId(requestId).setQuantity(1).build();
      buyers.get(regions.get(i % regions.size())).withDeadlineAfter(60, TimeUnit.SECONDS)
          .purchase(request, new StreamObserver<>() {
            @Override
            public void onNext(PurchaseResponse response) {
              if (response.hasDecision()) told.put(requestId, response.getDecision());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
    }
  }

  private static void awaitTold(Map<String, PurchaseDecision> told, int count, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (told.size() < count) {
      assertTrue(System.nanoTime() < deadline, "only " + told.size() + " of " + count + " purchases told in " + timeoutMs + " ms");
      Thread.sleep(20);
    }
  }
}
