package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.grpc.RegionLoop;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.PoolLostException;
import flashsale.store.ShardStore;
import flashsale.wire.Errors;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A SHARDED region whose shard is found lost while purchases wait for borrowed stock: the held
 * purchases are answered DATA_LOSS POOL_LOST at once, not STOCK_IN_TRANSIT once their hold runs
 * out (which a buyer would retry forever).
 */
class ShardSellerLostPoolTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final EventSpec SPEC = new EventSpec("drop", "shoes", 10, START, START + 3_600_000_000L, 5,
      List.of("eu", "us"), SaleMode.SHARDED, 0);
  private static final long HOLD_MS = 10_000;

  private final RegionLoop loop = new RegionLoop("eu");
  private ShardArbiterStub arbiter;
  private ShardSeller seller;

  @AfterEach
  void stop() throws Exception {
    if (seller != null) loop.call(() -> {
      seller.close(flashsale.region.core.Failure.of(flashsale.sale.ErrorReason.SHUTTING_DOWN, "test over"));
      return null;
    }, 5_000);
    if (arbiter != null) arbiter.close();
    loop.shutdown();
  }

  @Test
  void heldPurchasesHearThePoolIsLostAtOnce() throws Exception {
    AtomicBoolean lost = new AtomicBoolean();
    ShardStore store = new ShortThenLost(lost);
    // The arbiter says stock is left elsewhere: the held purchases wait for a transfer.
    arbiter = ShardArbiterStub.reporting(5);
    ModesConfig config = new ModesConfig(null, null, HOLD_MS, 50, flashsale.store.ReplicaAcks.NONE);
    seller = loop.call(() -> new ShardSeller("eu", config, store, loop, eventId -> arbiter.channel()), 5_000);

    String euUser = java.util.stream.IntStream.range(0, 1_000).mapToObj(i -> "user-" + i)
        .filter(u -> flashsale.shard.ShardHome.of(u, SPEC.regions()).equals("eu")).findFirst().orElseThrow();
    PurchaseAnswer first = new PurchaseAnswer();
    PurchaseAnswer second = new PurchaseAnswer();
    loop.execute(() -> seller.purchase(SPEC, new Ticket("drop", "r1", euUser, 1, "eu", START + 1), first));
    Thread.sleep(200); // the first is short and held; the second queues behind it
    loop.execute(() -> seller.purchase(SPEC, new Ticket("drop", "r2", euUser, 1, "eu", START + 2), second));
    lost.set(true); // the next retry of the held one finds the shard lost

    for (PurchaseAnswer answer : List.of(first, second)) {
      var failure = answer.failure(5_000);
      assertEquals(Status.Code.DATA_LOSS, Status.fromThrowable(failure).getCode(), failure.toString());
      assertEquals("POOL_LOST", Errors.reasonOf(failure).orElseThrow());
    }
  }

  /** Short (nothing left here) until {@code lost}, then every buy fails as a lost shard does. */
  private record ShortThenLost(AtomicBoolean lost) implements ShardStore {
    @Override
    public CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort) {
      if (lost.get()) return CompletableFuture.failedFuture(new PoolLostException("fs:{drop}:shard:eu was marked lost"));
      return CompletableFuture.completedFuture(new BuyReply.Short(0));
    }

    @Override
    public CompletableFuture<BuyReply> buyHeld(EventSpec spec, Ticket ticket, long nextWaitingMicros) {
      return buyShard(spec, ticket, false);
    }

    @Override
    public CompletableFuture<BuyReply> decideWithoutStock(EventSpec spec, Ticket ticket) {
      return buyShard(spec, ticket, false);
    }

    @Override
    public CompletableFuture<Void> clearWaiting(EventSpec spec, String region) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> openShard(EventSpec spec, String region) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region, String requestId) {
      return CompletableFuture.completedFuture(Optional.empty());
    }

    @Override
    public CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ShardBackend shard(EventSpec spec, String region) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
