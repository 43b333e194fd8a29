package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.core.BuyRequest;
import flashsale.region.core.OrderStates;
import flashsale.region.core.RegionCore;
import flashsale.region.modes.ModeSellers;
import flashsale.region.modes.ModesConfig;
import flashsale.region.modes.ShardArbiterStub;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.ShardHome;
import flashsale.store.memory.InMemoryShardStore;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.v1.WatchPurchaseResponse;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WatchPurchase of a SHARDED purchase held at its region for borrowed stock (its shard holds 1
 * unit, and the arbiter says 9 are left elsewhere): the watch says pending, stays open, and ends
 * with the decision, as a watch of a pending GLOBAL_ORDER purchase does.
 */
class WatchHeldShardedPurchaseTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final EventSpec SPEC = new EventSpec("drop", "shoes", 10, START, START + 3_600_000_000L, 1,
      List.of("eu", "us"), SaleMode.SHARDED, 0, Map.of("eu", 1L, "us", 9L));
  private static final long HOLD_MS = 10_000;
  private static final long ANSWER_MS = 5_000;

  private final RegionLoop loop = new RegionLoop("eu");
  private final InMemoryShardStore store = new InMemoryShardStore();
  private final List<String> euUsers = IntStream.range(0, 1_000).mapToObj(i -> "user-" + i)
      .filter(u -> ShardHome.of(u, SPEC.regions()).equals("eu")).limit(2).toList();
  private ShardArbiterStub arbiter;
  private ModeSellers modes;
  private PurchaseLookups lookups;

  @BeforeEach
  void start() throws Exception {
    arbiter = ShardArbiterStub.reporting(9);
    ModesConfig config = new ModesConfig(null, null, HOLD_MS, 50, flashsale.store.ReplicaAcks.NONE);
    lookups = loop.call(() -> {
      RegionCore core = new RegionCore("eu", 100, 100, InstantSource.system());
      core.eventAnnounced(SPEC);
      modes = new ModeSellers("eu", config, null, store, loop, eventId -> arbiter.channel());
      PurchaseStandings standings = new PurchaseStandings(new OrderStates(100),
          (eventId, requestId, then, failed) -> { throw new AssertionError("a SHARDED purchase is not the arbiter's"); },
          loop, 500, 10, 4);
      return new PurchaseLookups(core, new CallRegistry(), modes, standings);
    }, ANSWER_MS);
  }

  @AfterEach
  void stop() throws Exception {
    loop.call(() -> {
      modes.close(flashsale.region.core.Failure.of(flashsale.sale.ErrorReason.SHUTTING_DOWN, "test over"));
      return null;
    }, ANSWER_MS);
    arbiter.close();
    loop.shutdown();
  }

  @Test
  void aWatchOfAHeldPurchaseStaysOpenUntilItsDecision() throws Exception {
    buy(euUsers.get(0), "ann-1").get(ANSWER_MS, TimeUnit.MILLISECONDS); // wins the shard's only unit
    CompletableFuture<PurchaseResponse> bob = buy(euUsers.get(1), "bob-1");
    Watch watch = new Watch();
    for (long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANSWER_MS); ; ) {
      loop.execute(() -> lookups.watch("drop", "bob-1", watch));
      Object first = watch.next();
      if (first instanceof WatchPurchaseResponse r && r.getState() == PurchaseState.PURCHASE_STATE_PENDING) break;
      if (System.nanoTime() > deadline) throw new AssertionError("bob-1 never held: " + first);
      watch.events.clear(); // not held yet (its first try is at the store): watch again
      Thread.sleep(10);
    }
    assertEquals(null, watch.events.poll(200, TimeUnit.MILLISECONDS), "still open, nothing more while held");

    store.shard(SPEC, "eu").credit("transfer-1", 1); // the borrowed unit lands: bob wins it
    assertEquals(Outcome.OUTCOME_WON, bob.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome());
    Object decided = watch.next();
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, ((WatchPurchaseResponse) decided).getState(), decided.toString());
    assertEquals(bob.get().getDecision(), ((WatchPurchaseResponse) decided).getDecision());
    assertEquals("completed", watch.next());
  }

  private CompletableFuture<PurchaseResponse> buy(String user, String requestId) {
    CompletableFuture<PurchaseResponse> answer = new CompletableFuture<>();
    loop.execute(() -> modes.purchase(SPEC, new BuyRequest("drop", user, requestId, 1), START + 1, new StreamObserver<>() {
      @Override
      public void onNext(PurchaseResponse value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    }));
    return answer;
  }

  /** What a watch stream got, in order: responses, then "completed" or the error. */
  private static final class Watch implements StreamObserver<WatchPurchaseResponse> {
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    @Override
    public void onNext(WatchPurchaseResponse value) {
      events.add(value);
    }

    @Override
    public void onError(Throwable t) {
      events.add(t);
    }

    @Override
    public void onCompleted() {
      events.add("completed");
    }

    Object next() throws InterruptedException {
      Object next = events.poll(ANSWER_MS, TimeUnit.MILLISECONDS);
      if (next == null) throw new AssertionError("nothing within " + ANSWER_MS + " ms");
      return next;
    }
  }
}
