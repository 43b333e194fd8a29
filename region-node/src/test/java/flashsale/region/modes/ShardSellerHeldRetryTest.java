package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.core.BuyRequest;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.store.memory.InMemoryShardStore;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseState;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retries at a SHARDED region while a purchase there waits for borrowed stock (its shard holds 1
 * unit, and the arbiter says 9 are left elsewhere): each retry is answered as the purchase it
 * repeats, not as the sale's end or a wait in the queue.
 */
class ShardSellerHeldRetryTest {
  private static final long START = 1_767_225_600_000_000L;
  private static final long END = START + 3_600_000_000L;
  private static final EventSpec SPEC = new EventSpec("drop", "shoes", 10, START, END, 1, List.of("eu", "us"),
      SaleMode.SHARDED, 0, Map.of("eu", 1L, "us", 9L));
  /** Longer than any test: a purchase answered sooner was not answered by its hold running out. */
  private static final long HOLD_MS = 10_000;
  private static final long ANSWER_MS = 5_000;

  private final InMemoryShardStore store = new InMemoryShardStore();
  private final List<String> euUsers = ShardRegion.homeUsers(SPEC, 3);
  private final String ann = euUsers.get(0);
  private final String bob = euUsers.get(1);
  private ShardArbiterStub arbiter;
  private ShardRegion region;

  @BeforeEach
  void start() throws Exception {
    arbiter = ShardArbiterStub.reporting(9);
    region = new ShardRegion(store, arbiter, HOLD_MS, 50);
  }

  @AfterEach
  void stop() throws Exception {
    region.close();
  }

  /** A held purchase is reported under this node's id, so the arbiter adds it to the region's other nodes' reports. */
  @Test
  void aHeldPurchaseIsReportedUnderThisNodesId() throws Exception {
    assertEquals(Outcome.OUTCOME_WON, outcome(buy(new BuyRequest("drop", ann, "ann-1", 1), START + 1)));
    buy(new BuyRequest("drop", bob, "bob-1", 1), START + 2);
    awaitPending("bob-1");
    while (true) {
      var report = arbiter.reports.poll(ANSWER_MS, TimeUnit.MILLISECONDS);
      if (report == null) throw new AssertionError("no report of the held purchase");
      if (report.getWaitingUnits() == 0) continue;
      assertEquals(List.of("eu", ShardRegion.NODE_ID, 1L), List.of(report.getRegion(), report.getNodeId(),
          report.getWaitingUnits()));
      return;
    }
  }

  /**
   * The region's other node does not know a purchase held here: past the end, while that hold may
   * still win, it tells the retry to retry rather than that the sale ended; once every hold has
   * run out, the shard's silence is final.
   */
  @Test
  void pastTheEndTheRegionsOtherNodeSaysRetryWhileAHoldMayStillWin() throws Exception {
    assertEquals(Outcome.OUTCOME_WON, outcome(buy(new BuyRequest("drop", ann, "ann-1", 1), START + 1)));
    PurchaseAnswer bobFirst = buy(new BuyRequest("drop", bob, "bob-1", 1), START + 2);
    awaitPending("bob-1");
    try (ShardRegion otherNode = new ShardRegion(store, ShardArbiterStub.reporting(9), HOLD_MS, 50)) {
      var whileHeld = otherNode.buy(SPEC, new BuyRequest("drop", bob, "bob-1", 1), END + 1).failure(ANSWER_MS);
      assertEquals("STOCK_IN_TRANSIT", flashsale.wire.Errors.reasonOf(whileHeld).orElseThrow(), whileHeld.toString());
      long holdsOver = END + 2 * TimeUnit.MILLISECONDS.toMicros(HOLD_MS);
      var afterHolds = otherNode.buy(SPEC, new BuyRequest("drop", euUsers.get(2), "cy-1", 1), holdsOver).failure(ANSWER_MS);
      assertEquals("EVENT_ENDED", flashsale.wire.Errors.reasonOf(afterHolds).orElseThrow(), afterHolds.toString());
    }
    store.shard(SPEC, "eu").credit("transfer-1", 1);
    assertEquals(Outcome.OUTCOME_WON, outcome(bobFirst), "the held purchase still won its unit");
  }

  @Test
  void aRetryAfterTheEndOfAPurchaseStillHeldGetsItsDecision() throws Exception {
    assertEquals(Outcome.OUTCOME_WON, outcome(buy(new BuyRequest("drop", ann, "ann-1", 1), START + 1)));
    PurchaseAnswer bobFirst = buy(new BuyRequest("drop", bob, "bob-1", 1), START + 2);
    awaitPending("bob-1");

    PurchaseAnswer bobRetry = buy(new BuyRequest("drop", bob, "bob-1", 1), END + 1);
    store.shard(SPEC, "eu").credit("transfer-1", 1); // the borrowed unit lands: the held purchase wins it

    assertEquals(Outcome.OUTCOME_WON, outcome(bobFirst));
    assertEquals(Outcome.OUTCOME_WON, outcome(bobRetry), "the held purchase's decision, not EVENT_ENDED");
  }

  /**
   * A buyer whose call timed out retries while its purchase still waits for stock, and another
   * buyer came in between: the retry waits in the first's place, so the unit that lands answers
   * both calls, where it used to wait behind the other buyer until its own hold ran out.
   */
  @Test
  void aRetryWhileThePurchaseIsHeldWaitsInItsPlace() throws Exception {
    assertEquals(Outcome.OUTCOME_WON, outcome(buy(new BuyRequest("drop", ann, "ann-1", 1), START + 1)));
    PurchaseAnswer bobFirst = buy(new BuyRequest("drop", bob, "bob-1", 1), START + 2);
    awaitPending("bob-1");
    PurchaseAnswer catFirst = buy(new BuyRequest("drop", euUsers.get(2), "cat-1", 1), START + 3);
    awaitPending("cat-1");
    PurchaseAnswer bobRetry = buy(new BuyRequest("drop", bob, "bob-1", 1), START + 4);

    store.shard(SPEC, "eu").credit("transfer-1", 1); // one unit lands: bob's, the earliest held
    assertEquals(Outcome.OUTCOME_WON, outcome(bobFirst));
    assertEquals(bobFirst.done.get().getDecision(), bobRetry.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision(),
        "the retry gets bob-1's decision, not a wait behind cat");
    assertEquals(false, catFirst.done.isDone());
  }

  @Test
  void whileAPurchaseWaitsForStockADecidedRetryAndABuyerPastTheLimitAreAnsweredAtOnce() throws Exception {
    PurchaseAnswer annFirst = buy(new BuyRequest("drop", ann, "ann-1", 1), START + 1);
    assertEquals(Outcome.OUTCOME_WON, outcome(annFirst));
    PurchaseAnswer bobFirst = buy(new BuyRequest("drop", bob, "bob-1", 1), START + 2);
    awaitPending("bob-1");

    PurchaseAnswer annRetry = buy(new BuyRequest("drop", ann, "ann-1", 1), START + 3);
    PurchaseAnswer annMore = buy(new BuyRequest("drop", ann, "ann-2", 1), START + 4);
    assertEquals(annFirst.done.get().getDecision(), annRetry.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision(),
        "the stored decision, not a wait in the queue");
    assertEquals(LossReason.LOSS_REASON_LIMIT_EXCEEDED,
        annMore.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getLossReason(), "ann holds 1 of her 1");
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, state("ann-1"));

    // Whoever needs a unit still waits its turn: the one unit that lands is Bob's, not Cat's.
    PurchaseAnswer catFirst = buy(new BuyRequest("drop", euUsers.get(2), "cat-1", 1), START + 5);
    awaitPending("cat-1");
    store.shard(SPEC, "eu").credit("transfer-1", 1);
    assertEquals(Outcome.OUTCOME_WON, outcome(bobFirst));
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, state("cat-1"));
    assertEquals(false, catFirst.done.isDone());
  }

  private PurchaseAnswer buy(BuyRequest buy, long stampMicros) {
    return region.buy(SPEC, buy, stampMicros);
  }

  /** The decision's outcome, or the failure's ErrorInfo reason as the assertion's message. */
  private static Outcome outcome(PurchaseAnswer answer) throws Exception {
    try {
      return answer.done.get(ANSWER_MS, TimeUnit.MILLISECONDS).getDecision().getOutcome();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("failed " + flashsale.wire.Errors.reasonOf(e.getCause()).orElse("<none>"), e.getCause());
    }
  }

  /** What GetPurchase says of {@code requestId}; UNSPECIFIED while it is neither held nor decided. */
  private PurchaseState state(String requestId) throws Exception {
    CompletableFuture<GetPurchaseResponse> got = new CompletableFuture<>();
    region.loop.execute(() -> region.modes.getPurchase(SPEC, requestId, new StreamObserver<>() {
      @Override
      public void onNext(GetPurchaseResponse value) {
        got.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        got.complete(GetPurchaseResponse.getDefaultInstance()); // not found: its first try is at the store
      }

      @Override
      public void onCompleted() {}
    }));
    return got.get(ANSWER_MS, TimeUnit.MILLISECONDS).getState();
  }

  /** Until {@code requestId} is held here (its first try found the shard short). */
  private void awaitPending(String requestId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANSWER_MS);
    // Held, not only pending: a first try still at the store is pending too.
    while (state(requestId) != PurchaseState.PURCHASE_STATE_PENDING
        || region.loop.call(() -> region.modes.heldTicket(SPEC, requestId), ANSWER_MS).isEmpty()) {
      if (System.nanoTime() > deadline) throw new AssertionError(requestId + " never held");
      Thread.sleep(10);
    }
  }
}
