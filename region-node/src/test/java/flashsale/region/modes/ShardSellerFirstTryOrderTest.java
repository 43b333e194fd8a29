package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import flashsale.region.core.BuyRequest;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.ShardStore;
import flashsale.store.memory.InMemoryShardStore;
import flashsale.v1.Outcome;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two buyers' first tries are at a SHARDED region's empty shard at once; the earlier is found short
 * and held, then a unit lands before the later one reaches the store. The unit is the earlier
 * buyer's: the later first try is short behind it, where it used to take the unit and leave the
 * earlier buyer waiting out its hold.
 */
class ShardSellerFirstTryOrderTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final EventSpec SPEC = new EventSpec("drop", "shoes", 10, START, START + 3_600_000_000L, 1,
      List.of("eu", "us"), SaleMode.SHARDED, 0, Map.of("eu", 1L, "us", 9L));
  private static final long HOLD_MS = 10_000;
  private static final long ANSWER_MS = 5_000;

  private final InMemoryShardStore memory = new InMemoryShardStore();
  /** First tries wait here until the test lets each reach the store. */
  private final LinkedBlockingQueue<Runnable> firstTries = new LinkedBlockingQueue<>();
  private final List<String> euUsers = ShardRegion.homeUsers(SPEC, 3);
  private ShardRegion region;

  @BeforeEach
  void start() throws Exception {
    region = new ShardRegion(new GatedFirstTries(), ShardArbiterStub.reporting(9), HOLD_MS, 50);
  }

  @AfterEach
  void stop() throws Exception {
    region.close();
  }

  @Test
  void aUnitThatLandsGoesToTheEarlierHeldBuyerNotToALaterFirstTry() throws Exception {
    PurchaseAnswer ann = buy(new BuyRequest("drop", euUsers.get(0), "ann-1", 1), START + 1);
    firstTries.take().run(); // ann takes eu's one unit
    assertEquals(Outcome.OUTCOME_WON, ann.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome());

    PurchaseAnswer bob = buy(new BuyRequest("drop", euUsers.get(1), "bob-1", 1), START + 2);
    PurchaseAnswer cat = buy(new BuyRequest("drop", euUsers.get(2), "cat-1", 1), START + 3);
    Runnable bobAtStore = firstTries.poll(ANSWER_MS, TimeUnit.MILLISECONDS);
    Runnable catAtStore = firstTries.poll(ANSWER_MS, TimeUnit.MILLISECONDS);
    bobAtStore.run(); // short: bob is held
    memory.shard(SPEC, "eu").credit("transfer-1", 1); // a unit lands
    catAtStore.run(); // cat's first try reaches the store only now

    assertEquals(Outcome.OUTCOME_WON, bob.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome(),
        "the unit is bob's: he was found short first");
    assertFalse(cat.done.isDone(), "cat waits behind bob for the next unit");
  }

  /**
   * The same request id with other content (another user) while the first is held is
   * REQUEST_ID_REUSED at once: put to the store, it was decided under the id (its user over the
   * limit) and the held purchase, given that decision, was answered REQUEST_ID_REUSED in its place.
   */
  @Test
  void aReusedRequestIdWhileTheFirstIsHeldIsRefusedAndLeavesTheHeldOneItsUnit() throws Exception {
    PurchaseAnswer ann = buy(new BuyRequest("drop", euUsers.get(0), "ann-1", 1), START + 1);
    firstTries.take().run();
    assertEquals(Outcome.OUTCOME_WON, ann.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome());
    PurchaseAnswer bob = buy(new BuyRequest("drop", euUsers.get(1), "bob-1", 1), START + 2);
    firstTries.take().run(); // short: held
    awaitHeld("bob-1");

    // Ann, who holds her limit of 1, sends bob's request id: the store would decide it LIMIT_EXCEEDED.
    PurchaseAnswer reused = buy(new BuyRequest("drop", euUsers.get(0), "bob-1", 1), START + 3);
    var refused = reused.failure(ANSWER_MS);
    assertEquals("REQUEST_ID_REUSED", flashsale.wire.Errors.reasonOf(refused).orElseThrow(), refused.toString());
    memory.shard(SPEC, "eu").credit("transfer-1", 1);
    assertEquals(Outcome.OUTCOME_WON, bob.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome());
  }

  /**
   * A retry after the sale's end while the first try is still at the store is "retry", not
   * EVENT_ENDED: the first try may still be held and win.
   */
  @Test
  void aRetryAfterTheEndWhileTheFirstTryIsAtTheStoreIsToldToRetryNotThatTheSaleEnded() throws Exception {
    PurchaseAnswer ann = buy(new BuyRequest("drop", euUsers.get(0), "ann-1", 1), START + 1);
    Runnable annAtStore = firstTries.poll(ANSWER_MS, TimeUnit.MILLISECONDS);
    PurchaseAnswer retry = buy(new BuyRequest("drop", euUsers.get(0), "ann-1", 1), SPEC.endMicros() + 1);
    var told = retry.failure(ANSWER_MS);
    assertEquals("STOCK_IN_TRANSIT", flashsale.wire.Errors.reasonOf(told).orElseThrow(), told.toString());
    annAtStore.run();
    assertEquals(Outcome.OUTCOME_WON, ann.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome());
  }

  /** A look-up while the first try is at the store says pending: it may yet be held and win. */
  @Test
  void aLookUpWhileTheFirstTryIsAtTheStoreSaysPending() throws Exception {
    PurchaseAnswer ann = buy(new BuyRequest("drop", euUsers.get(0), "ann-1", 1), START + 1);
    Runnable annAtStore = firstTries.poll(ANSWER_MS, TimeUnit.MILLISECONDS);
    CompletableFuture<Object> looked = new CompletableFuture<>();
    region.loop.execute(() -> region.modes.getPurchase(SPEC, "ann-1", new io.grpc.stub.StreamObserver<>() {
      @Override public void onNext(flashsale.v1.GetPurchaseResponse value) { looked.complete(value); }
      @Override public void onError(Throwable t) { looked.complete(t); }
      @Override public void onCompleted() {}
    }));
    Object answer = looked.get(ANSWER_MS, TimeUnit.MILLISECONDS);
    assertEquals(flashsale.v1.PurchaseState.PURCHASE_STATE_PENDING,
        answer instanceof flashsale.v1.GetPurchaseResponse r ? r.getState() : answer, "not PURCHASE_NOT_FOUND");
    annAtStore.run();
    assertEquals(Outcome.OUTCOME_WON, ann.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome());
  }

  /** Past the end, another region sends the buyer home as during the sale: the purchase may have won there. */
  @Test
  void pastTheEndAnotherRegionSendsTheBuyerHome() throws Exception {
    String usUser = java.util.stream.IntStream.range(0, 1_000).mapToObj(i -> "user-" + i)
        .filter(u -> flashsale.shard.ShardHome.of(u, SPEC.regions()).equals("us")).findFirst().orElseThrow();
    var told = buy(new BuyRequest("drop", usUser, "us-1", 1), SPEC.endMicros() + 1).failure(ANSWER_MS);
    assertEquals("HOME_REGION_ELSEWHERE", flashsale.wire.Errors.reasonOf(told).orElseThrow(), told.toString());
    assertEquals("us", flashsale.wire.Errors.infoOf(told).orElseThrow().getMetadataOrDefault("home_region", ""), told.toString());
  }

  private void awaitHeld(String requestId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANSWER_MS);
    while (region.loop.call(() -> region.modes.heldTicket(SPEC, requestId), ANSWER_MS).isEmpty()) {
      if (System.nanoTime() > deadline) throw new AssertionError(requestId + " never held");
      Thread.sleep(10);
    }
  }

  private PurchaseAnswer buy(BuyRequest buy, long stampMicros) {
    return region.buy(SPEC, buy, stampMicros);
  }

  /** The in-memory store, each first try held until the test runs it (retries and checks pass straight through). */
  private final class GatedFirstTries implements ShardStore {
    @Override
    public CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort) {
      var reply = new CompletableFuture<BuyReply>();
      firstTries.add(() -> memory.buyShard(spec, ticket, decideShort).whenComplete((r, e) -> {
        if (e != null) reply.completeExceptionally(e); else reply.complete(r);
      }));
      return reply;
    }

    @Override
    public CompletableFuture<BuyReply> buyHeld(EventSpec spec, Ticket ticket, long nextWaitingMicros) {
      return memory.buyHeld(spec, ticket, nextWaitingMicros);
    }

    @Override
    public CompletableFuture<BuyReply> decideWithoutStock(EventSpec spec, Ticket ticket) {
      return memory.decideWithoutStock(spec, ticket);
    }

    @Override
    public CompletableFuture<Void> clearWaiting(EventSpec spec, String region) {
      return memory.clearWaiting(spec, region);
    }

    @Override
    public CompletableFuture<Void> openShard(EventSpec spec, String region) {
      return memory.openShard(spec, region);
    }

    @Override
    public CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region, String requestId) {
      return memory.findShardDecision(eventId, region, requestId);
    }

    @Override
    public CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits) {
      return memory.shardCounters(eventId, region, initialUnits);
    }

    @Override
    public ShardBackend shard(EventSpec spec, String region) {
      return memory.shard(spec, region);
    }

    @Override
    public void close() {
      memory.close();
    }
  }
}
