package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.load.RequestRecord;
import flashsale.client.report.RunResult;
import flashsale.sale.EventSpec;
import com.google.rpc.ErrorInfo;
import flashsale.shard.EventAccount;
import flashsale.shard.ShardHome;
import flashsale.store.modes.RedisPoolStore;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventCounters;
import flashsale.v1.EventMode;
import flashsale.v1.EventState;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseState;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SHARDED end to end: each region sells from its own Redis; a burst far beyond one region's shard
 * must still sell the whole stock, borrowing from the quiet region, and never oversell.
 */
class ShardedModeEndToEndTest {
  static ModesFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new ModesFixture();
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void aBurstSkewedToOneRegionSellsOutExactly() throws Exception {
    // Equal shards of 40; near gets 200 purchases, far only 8 (the far region sends 4% as much).
    var plan = flashsale.client.bench.BurstPlan.of("skew", ModesFixture.REGIONS, 200, 40_000, Map.of(), 7)
        .sends().stream().filter(s -> s.region().equals("near") || s.requestId().matches(".*-far-[0-7]")).toList();
    RunResult run = flashsale.client.bench.ModeRun.run(fx.admin, fx.driver, EventMode.EVENT_MODE_SHARDED, "skew", 80,
        ModesFixture.REGIONS, new flashsale.client.bench.BurstPlan(plan));
    List<RequestRecord> records = run.records();
    assertEquals(List.of(), records.stream().filter(r -> !r.decided()).map(r -> r.requestId() + " " + r.errorCode())
        .toList(), "every purchase decided: held ones win borrowed stock or lose only once all is sold");
    long nearWins = records.stream().filter(r -> r.won() && r.region().equals("near")).count();
    assertEquals(80, records.stream().filter(RequestRecord::won).count(), "the whole stock sells, not a unit more");
    assertTrue(nearWins > 40, "near must have borrowed beyond its own 40: " + nearWins);

    EventSpec spec = fx.store.findEvent("skew").orElseThrow();
    try (var near = new RedisPoolStore(fx.nearShard.uri()); var far = new RedisPoolStore(fx.farShard.uri())) {
      EventAccount account = EventAccount.of(List.of(near.shard(spec, "near").snapshot(), far.shard(spec, "far").snapshot()));
      assertEquals(new EventAccount(0, 80, 0, 0), account.requireConserved(80));
    }
    System.out.printf("SHARDED skewed burst: near won %d (shard 40), far %d%n", nearWins, 80 - nearWins);

    var admin = EventAdminServiceGrpc.newBlockingStub(fx.admin);
    var event = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("skew").build());
    assertEquals(EventCounters.newBuilder().setRemainingStock(0).setUnitsSold(80).setDecisions(records.size())
        .setWins(80).setLosses(records.size() - 80).build(), event.getCounters(), "summed over both shards");
    assertEquals(EventState.EVENT_STATE_SOLD_OUT, event.getState());
    var noLog = assertThrows(StatusRuntimeException.class,
        () -> admin.listDecisions(ListDecisionsRequest.newBuilder().setEventId("skew").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, noLog.getStatus().getCode());
    assertEquals("MODE_NOT_SUPPORTED", Errors.reasonOf(noLog).orElseThrow());
    assertTrue(noLog.getStatus().getDescription().contains("GetPurchase at the buyer's home region"),
        noLog.getStatus().getDescription());
  }

  @Test
  void aPurchaseIsMadeAndLookedUpAtTheBuyersHomeRegionOnly() throws Exception {
    fx.burst(EventMode.EVENT_MODE_SHARDED, "home", 10, 1, Map.of());
    String user = userAtHome("far");
    var near = FlashSaleServiceGrpc.newBlockingStub(fx.channel(fx.cluster.regionTarget("near")));
    var far = FlashSaleServiceGrpc.newBlockingStub(fx.channel(fx.cluster.regionTarget("far")));

    var elsewhere = assertThrows(StatusRuntimeException.class, () -> near.purchase(buy(user, "away-1")));
    assertEquals(Status.Code.FAILED_PRECONDITION, elsewhere.getStatus().getCode());
    ErrorInfo info = Errors.infoOf(elsewhere).orElseThrow();
    assertEquals("HOME_REGION_ELSEWHERE", info.getReason());
    assertEquals("far", info.getMetadataOrThrow("home_region"));

    PurchaseDecision won = far.purchase(buy(user, "home-1")).getDecision();
    assertEquals(Outcome.OUTCOME_WON, won.getOutcome());
    GetPurchaseResponse found = far.getPurchase(lookup("home-1"));
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, found.getState());
    assertEquals(won, found.getDecision(), "the home region finds the decision in its shard");
    var notHere = assertThrows(StatusRuntimeException.class, () -> near.getPurchase(lookup("home-1")));
    assertEquals(Status.Code.NOT_FOUND, notHere.getStatus().getCode());
    assertEquals("PURCHASE_NOT_FOUND", Errors.reasonOf(notHere).orElseThrow());
    var refused = assertThrows(StatusRuntimeException.class, () -> far.getPurchase(lookup("away-1")));
    assertEquals("PURCHASE_NOT_FOUND", Errors.reasonOf(refused).orElseThrow(), "a refused purchase was never decided");
  }

  @Test
  void aShardItsStoreLostMidSaleIsNeverSoldFromAgain() throws Exception {
    RunResult run = fx.burst(EventMode.EVENT_MODE_SHARDED, "shard-lost", 20, 2, Map.of());
    assertEquals(4, run.records().stream().filter(RequestRecord::won).count(), "both shards sold");
    // The far region's shard Redis loses the event's keys (evicted, or flushed by mistake).
    try (var client = io.lettuce.core.RedisClient.create(fx.farShard.uri()); var c = client.connect()) {
      List<String> keys = c.sync().keys("fs:{shard-lost}:*");
      assertTrue(!keys.isEmpty(), "the shard's keys");
      c.sync().del(keys.toArray(String[]::new));
    }
    var far = FlashSaleServiceGrpc.newBlockingStub(fx.channel(fx.cluster.regionTarget("far")));
    var lost = assertThrows(StatusRuntimeException.class, () -> far.purchase(PurchaseRequest.newBuilder()
        .setEventId("shard-lost").setUserId(userAtHome("far")).setRequestId("lost-1").setQuantity(1).build()));
    assertEquals(Status.Code.DATA_LOSS, lost.getStatus().getCode(), "not its 10 units again: " + lost);
    assertEquals("POOL_LOST", Errors.reasonOf(lost).orElseThrow());

    var admin = EventAdminServiceGrpc.newBlockingStub(fx.admin);
    var counters = assertThrows(StatusRuntimeException.class, () -> admin.getEvent(
        EventAdminServiceGetEventRequest.newBuilder().setEventId("shard-lost").build()));
    assertEquals("POOL_LOST", Errors.reasonOf(counters).orElseThrow(), counters.toString());

    // The near region's shard is whole: it sells on.
    var near = FlashSaleServiceGrpc.newBlockingStub(fx.channel(fx.cluster.regionTarget("near")));
    assertEquals(Outcome.OUTCOME_WON, near.purchase(PurchaseRequest.newBuilder().setEventId("shard-lost")
        .setUserId(userAtHome("near")).setRequestId("near-after").setQuantity(1).build()).getDecision().getOutcome());
  }

  @Test
  void aShardLostBeforeItsRegionSoldIsKnownLostToTheRegionAndTheRebalancer() throws Exception {
    flashsale.client.bench.ModeRun.createEvent(fx.admin, EventMode.EVENT_MODE_SHARDED, "shard-lost-early", 4,
        ModesFixture.REGIONS);
    try (var client = io.lettuce.core.RedisClient.create(fx.farShard.uri()); var c = client.connect()) {
      assertEquals("2", c.sync().hget("fs:{shard-lost-early}:shard:far", "remaining"), "opened at creation");
      c.sync().del(c.sync().keys("fs:{shard-lost-early}:*").toArray(String[]::new)); // before far sold anything
    }
    var far = FlashSaleServiceGrpc.newBlockingStub(fx.channel(fx.cluster.regionTarget("far")));
    var lost = assertThrows(StatusRuntimeException.class, () -> far.purchase(PurchaseRequest.newBuilder()
        .setEventId("shard-lost-early").setUserId(userAtHome("far")).setRequestId("early-1").setQuantity(1).build()));
    assertEquals(Status.Code.DATA_LOSS, lost.getStatus().getCode(), "not its 2 units again: " + lost);
    assertEquals("POOL_LOST", Errors.reasonOf(lost).orElseThrow());
    var admin = EventAdminServiceGrpc.newBlockingStub(fx.admin);
    var counters = assertThrows(StatusRuntimeException.class, () -> admin.getEvent(
        EventAdminServiceGetEventRequest.newBuilder().setEventId("shard-lost-early").build()));
    assertEquals("POOL_LOST", Errors.reasonOf(counters).orElseThrow(), counters.toString());
  }

  private static String userAtHome(String region) {
    return IntStream.range(0, 1_000).mapToObj(i -> "user-" + i)
        .filter(u -> ShardHome.of(u, ModesFixture.REGIONS).equals(region)).findFirst().orElseThrow();
  }

  private static PurchaseRequest buy(String user, String requestId) {
    return PurchaseRequest.newBuilder().setEventId("home").setUserId(user).setRequestId(requestId).setQuantity(1)
        .build();
  }

  private static GetPurchaseRequest lookup(String requestId) {
    return GetPurchaseRequest.newBuilder().setEventId("home").setRequestId(requestId).build();
  }
}
