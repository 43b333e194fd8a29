package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Partitions;
import flashsale.store.testing.RedisCluster;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.FlashSaleServiceGrpc;
import io.grpc.InsecureChannelCredentials;
import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Leadership split into 8 partitions over two arbiter processes on a 3-master Redis Cluster (the
 * partition leases, like the events, spread over the masters): they lead even, disjoint shares;
 * events on every master are sold, one arbiter is SIGKILLed a third of the way, only its partitions
 * change hands, and every event's sale keeps every rule.
 */
class PartitionedLeadershipOnRedisClusterTest {
  static final int PARTITIONS = 8;
  static final int EVENTS_PER_MASTER = 8;

  @Test
  void evenSharesOnAClusterAndAKillMovesOnlyTheKilledOnesPartitions() throws Exception {
    try (FailoverCluster cluster = FailoverCluster.startOnRedisCluster(List.of("arb-a", "arb-b"), "pki-partitions-cluster",
        PARTITIONS)) {
      ArbiterProcess a = cluster.arbiters.get(0);
      ArbiterProcess b = cluster.arbiters.get(1);
      PartitionLeases.View before = cluster.awaitPartitionLeaders(PARTITIONS,
          view -> view.countsByLeader().equals(Map.of(a.address(), 4, b.address(), 4)), 30_000);
      List<Integer> ofA = before.ledBy(a.address());
      List<Integer> ofB = before.ledBy(b.address());

      Partitions partitions = new Partitions(PARTITIONS);
      List<String> events = eventsOnEveryMaster();
      long onA = events.stream().filter(e -> ofA.contains(partitions.of(e))).count();
      assertTrue(onA > 0 && onA < events.size(), "both arbiters must lead some of the events: " + before);

      PartitionedLeadershipFaultTest.awaitRegionsLinked(cluster, 60_000);
      Map<ArbiterProcess, EventAdminServiceGrpc.EventAdminServiceBlockingStub> admins = new LinkedHashMap<>();
      for (ArbiterProcess x : cluster.arbiters) admins.put(x, EventAdminServiceGrpc.newBlockingStub(cluster.adminChannel(x)));
      for (String eventId : events) PartitionedLeadershipFaultTest.createEvent(cluster, admins, eventId);
      Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers = new LinkedHashMap<>();
      cluster.regions.forEach((name, server) -> buyers.put(name, FlashSaleServiceGrpc.newStub(
          cluster.channel("127.0.0.1:" + server.port(), InsecureChannelCredentials.create()))));

      List<SaleHistory> histories = PartitionedLeadershipFaultTest.sellKillingOneThirdIn(buyers, events, a, () -> {});
      assertFalse(a.alive(), "arb-a was killed mid-sale");

      PartitionLeases.View after = cluster.awaitPartitionLeaders(PARTITIONS,
          view -> view.countsByLeader().equals(Map.of(b.address(), PARTITIONS)), 30_000);
      PartitionedLeadershipFaultTest.assertOnlyMoved(before, after, ofA, ofB);
      for (SaleHistory history : histories) {
        history.check(cluster.store, PartitionedLeadershipFaultTest.STOCK, region -> FlashSaleServiceGrpc.newBlockingStub(
            cluster.channel("127.0.0.1:" + cluster.regions.get(region).port(), InsecureChannelCredentials.create())));
      }
      System.out.printf("redis cluster: arb-a led %s, arb-b %s (lease masters %s); killed arb-a during event %d of %d"
              + " (%d on arb-a, %d per master): its partitions moved (epochs %s -> %s), arb-b's kept theirs; every sale checked%n",
          ofA, ofB, leaseMasters(), events.size() / 3, events.size(), onA, EVENTS_PER_MASTER,
          ofA.stream().map(p -> before.leases().get(p).epoch()).toList(),
          ofA.stream().map(p -> after.leases().get(p).epoch()).toList());
    }
  }

  /** {@link #EVENTS_PER_MASTER} event ids whose keys (hash tag = event id) sit on each master, in turn. */
  private static List<String> eventsOnEveryMaster() {
    List<List<String>> perMaster = new ArrayList<>();
    for (int m = 0; m < RedisCluster.MASTERS; m++) perMaster.add(new ArrayList<>());
    for (int n = 0; perMaster.stream().anyMatch(l -> l.size() < EVENTS_PER_MASTER); n++) {
      String eventId = "cluster-split-" + n;
      List<String> onMaster = perMaster.get(RedisCluster.masterOfSlot(SlotHash.getSlot(eventId)));
      if (onMaster.size() < EVENTS_PER_MASTER) onMaster.add(eventId);
    }
    List<String> interleaved = new ArrayList<>();
    for (int i = 0; i < EVENTS_PER_MASTER; i++) {
      for (List<String> onMaster : perMaster) interleaved.add(onMaster.get(i));
    }
    return interleaved;
  }

  /** The master each partition's lease key ({@code fs:{arbiter-pN}:lease}) sits on. */
  private static List<Integer> leaseMasters() {
    List<Integer> masters = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) masters.add(RedisCluster.masterOfSlot(SlotHash.getSlot("arbiter-p" + p)));
    return masters;
  }
}
