package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.EventAccount;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardBackend.DebitResult;
import flashsale.shard.TransferRecord;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.ShardStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ShardStore} must do, as a region selling from its shard and the arbiter moving
 * stock between shards see it. Subclasses supply the store over empty state.
 */
public abstract class ShardStoreContract {
  private static final long START = 1_767_225_600_000_000L;
  /** Two units per user; near starts with 3, far with 1. */
  private static final EventSpec SPEC = new EventSpec("e", "shoes", 4, START, START + 3_600_000_000L, 2,
      List.of("near", "far"), SaleMode.SHARDED, 7, Map.of("near", 3L, "far", 1L));

  protected ShardStore store;

  /** A new store over empty state. */
  protected abstract ShardStore newStore();

  @BeforeEach
  void open() {
    store = newStore();
  }

  @AfterEach
  void close() {
    store.close();
  }

  private BuyReply buy(String requestId, String user, int quantity, String region, boolean decideShort) {
    return store.buyShard(SPEC, new Ticket("e", requestId, user, quantity, region, START + 10), decideShort).join();
  }

  private Decision decided(BuyReply reply) {
    return assertInstanceOf(BuyReply.Decided.class, reply).decision();
  }

  @Test
  void aBuyWinsFromItsRegionsShardWhichAloneKnowsTheDecision() {
    assertEquals(new PoolCounters(3, 0, 0, 0), store.shardCounters("e", "near", 3).join(), "untouched: its initial units");
    BuyReply reply = buy("r1", "ann", 2, "near", false);
    Decision won = decided(reply);
    assertEquals(false, ((BuyReply.Decided) reply).retry());
    assertEquals(Outcome.WON, won.outcome());
    assertEquals(new Ticket("e", "r1", "ann", 2, "near", START + 10), won.ticket());
    assertEquals(1, won.rank());
    assertEquals(Optional.of(won), store.findShardDecision("e", "near", "r1").join());
    assertEquals(Optional.empty(), store.findShardDecision("e", "far", "r1").join());
    assertEquals(new PoolCounters(1, 2, 1, 1), store.shardCounters("e", "near", 3).join());
    assertEquals(new PoolCounters(1, 0, 0, 0), store.shardCounters("e", "far", 1).join());
  }

  @Test
  void aRetryOfADecidedRequestGetsTheSameDecisionAndTakesNothing() {
    Decision first = decided(buy("r1", "ann", 1, "near", false));
    BuyReply again = buy("r1", "ann", 1, "near", false);
    assertEquals(new BuyReply.Decided(first, true), again);
    Decision lost = decided(buy("r2", "bob", 2, "far", true));
    assertEquals(new BuyReply.Decided(lost, true), buy("r2", "bob", 2, "far", true), "a loss is remembered too");
    assertEquals(new PoolCounters(2, 1, 1, 1), store.shardCounters("e", "near", 3).join());
  }

  @Test
  void aShortShardAnswersShortWritesNothingAndSellsOnceStockArrives() {
    assertEquals(new BuyReply.Short(1), buy("r1", "ann", 2, "far", false));
    assertEquals(Optional.empty(), store.findShardDecision("e", "far", "r1").join(), "nothing decided");
    assertEquals(new PoolCounters(1, 0, 0, 0), store.shardCounters("e", "far", 1).join());
    store.shard(SPEC, "far").credit("t1", 1);
    Decision won = decided(buy("r1", "ann", 2, "far", false));
    assertEquals(Outcome.WON, won.outcome());
    assertEquals(1, won.rank(), "the short answer took no rank");
  }

  /**
   * A purchase found short marks the shard: a first try stamped after it is short too, even once a
   * transfer's units land, so they go to the held purchase (its region retries it with buyHeld),
   * not to a later buyer whose first try reached the store before the region heard of the short
   * one. Once the held one is decided, the mark is the next held purchase's; with none, first tries buy.
   */
  @Test
  void unitsThatLandGoToTheEarliestHeldPurchaseNotToALaterFirstTry() {
    Ticket ann = new Ticket("e", "r1", "ann", 1, "far", START + 10);
    Ticket bob = new Ticket("e", "r2", "bob", 1, "far", START + 20);
    Ticket cat = new Ticket("e", "r3", "cat", 1, "far", START + 30);
    assertEquals(Outcome.WON, decided(store.buyShard(SPEC, new Ticket("e", "r0", "dee", 1, "far", START + 5), false).join())
        .outcome(), "far's one unit");
    assertEquals(new BuyReply.Short(0), store.buyShard(SPEC, ann, false).join());
    store.shard(SPEC, "far").credit("t1", 2);
    assertEquals(new BuyReply.Short(2), store.buyShard(SPEC, bob, false).join(), "bob came after ann, who waits");
    assertEquals(Optional.empty(), store.findShardDecision("e", "far", "r2").join());

    assertEquals(Outcome.WON, decided(store.buyHeld(SPEC, ann, bob.stampMicros()).join()).outcome(), "ann's retry takes one");
    assertEquals(new BuyReply.Short(1), store.buyShard(SPEC, cat, false).join(), "bob waits now");
    assertEquals(Outcome.WON, decided(store.buyHeld(SPEC, bob, cat.stampMicros()).join()).outcome());
    store.shard(SPEC, "far").credit("t2", 1);
    assertEquals(Outcome.WON, decided(store.buyHeld(SPEC, cat, -1).join()).outcome());

    store.shard(SPEC, "far").credit("t3", 1);
    assertEquals(Outcome.WON, decided(store.buyShard(SPEC, new Ticket("e", "r5", "fay", 1, "far", START + 40), false).join())
        .outcome(), "nothing waits: a first try buys");
    assertEquals(new PoolCounters(0, 5, 5, 5), store.shardCounters("e", "far", 1).join());
  }

  /**
   * A region that holds nothing any more clears the mark its short purchases left, and a held
   * purchase's retry answered from its stored decision moves the mark as a new decision does.
   */
  @Test
  void aClearedMarkLetsFirstTriesBuyAndAHeldRetryOfADecidedRequestMovesIt() {
    Ticket ann = new Ticket("e", "r1", "ann", 2, "far", START + 10);
    Ticket bob = new Ticket("e", "r2", "bob", 1, "far", START + 20);
    assertEquals(new BuyReply.Short(1), store.buyShard(SPEC, ann, false).join(), "far holds 1 of ann's 2");
    assertEquals(new BuyReply.Short(1), store.buyShard(SPEC, bob, false).join(), "behind ann");
    store.clearWaiting(SPEC, "far").join(); // ann's hold ran out: far holds nothing
    assertEquals(Outcome.WON, decided(store.buyShard(SPEC, bob, false).join()).outcome());

    Ticket cat = new Ticket("e", "r3", "cat", 1, "far", START + 30);
    assertEquals(new BuyReply.Short(0), store.buyShard(SPEC, cat, false).join(), "far is empty: cat marks it");
    BuyReply again = store.buyHeld(SPEC, bob, -1).join(); // bob's retry, held behind cat's call, from the store
    assertEquals(true, ((BuyReply.Decided) again).retry());
    store.shard(SPEC, "far").credit("t1", 1);
    assertEquals(Outcome.WON, decided(store.buyShard(SPEC, new Ticket("e", "r4", "dee", 1, "far", START + 40), false).join())
        .outcome(), "the retry's decision moved the mark away: nothing waits");
  }

  @Test
  void decidedWhenShortAPurchaseLosesForLackOfStock() {
    assertEquals(LossReason.INSUFFICIENT_STOCK, decided(buy("r1", "ann", 2, "far", true)).lossReason());
    assertEquals(Outcome.WON, decided(buy("r2", "bob", 1, "far", true)).outcome(), "decideShort wins when it can");
    assertEquals(LossReason.SOLD_OUT, decided(buy("r3", "cat", 1, "far", true)).lossReason());
    assertEquals(new PoolCounters(0, 1, 3, 1), store.shardCounters("e", "far", 1).join());
  }

  @Test
  void thePerUserLimitCountsUnitsWonAndComesBeforeShort() {
    decided(buy("r1", "ann", 2, "near", false));
    Decision over = decided(buy("r2", "ann", 1, "near", false));
    assertEquals(LossReason.LIMIT_EXCEEDED, over.lossReason(), "ann holds 2 of her 2");
    decided(buy("r3", "bob", 1, "near", false));
    assertEquals(LossReason.LIMIT_EXCEEDED, decided(buy("r4", "bob", 2, "near", false)).lossReason(),
        "over the limit is decided even when the shard is also short");
    assertEquals(Outcome.WON, decided(buy("r5", "cat", 1, "far", false)).outcome(), "another user is unaffected");
  }

  @Test
  void decidingWithoutStockAnswersARetryAndAUserPastTheLimitAndSellsNothing() {
    Decision won = decided(buy("r1", "ann", 2, "near", false));
    BuyReply again = store.decideWithoutStock(SPEC, new Ticket("e", "r1", "ann", 2, "near", START + 10)).join();
    assertEquals(new BuyReply.Decided(won, true), again, "a retry: its decision");
    Ticket over = new Ticket("e", "r2", "ann", 1, "near", START + 20);
    assertEquals(LossReason.LIMIT_EXCEEDED, decided(store.decideWithoutStock(SPEC, over).join()).lossReason(),
        "ann holds 2 of her 2");
    Ticket bob = new Ticket("e", "r3", "bob", 1, "near", START + 30);
    assertEquals(new BuyReply.Short(1), store.decideWithoutStock(SPEC, bob).join(), "near holds 1 and sells it to nobody");
    assertEquals(Optional.empty(), store.findShardDecision("e", "near", "r3").join());
    assertEquals(new PoolCounters(1, 2, 2, 1), store.shardCounters("e", "near", 3).join());
  }

  @Test
  void everyTransferStepIsIdempotentByTransferId() {
    ShardBackend near = store.shard(SPEC, "near");
    ShardBackend far = store.shard(SPEC, "far");
    assertEquals(DebitResult.DEBITED, near.debit("t1", 2, "far"));
    assertEquals(DebitResult.ALREADY_DEBITED, near.debit("t1", 2, "far"));
    assertEquals(DebitResult.ALREADY_DEBITED, near.debit("t1", 1, "far"), "the id, not the amount, decides");
    assertEquals(1, near.snapshot().remainingUnits());
    assertEquals(List.of(new TransferRecord("t1", "near", "far", 2, true)), near.snapshot().outgoing());

    assertTrue(far.credit("t1", 2));
    assertEquals(false, far.credit("t1", 2), "credited once");
    assertEquals(3, far.snapshot().remainingUnits());
    assertEquals(Set.of("t1"), far.snapshot().credited());

    near.settle("t1");
    near.settle("t1");
    near.settle("unknown");
    assertEquals(List.of(), near.snapshot().outgoing(), "settled: no longer shown");
    assertEquals(DebitResult.ALREADY_DEBITED, near.debit("t1", 1, "far"), "a settled id never debits again");
    assertEquals(1, near.snapshot().remainingUnits());

    far.forgetCredit("t1");
    far.forgetCredit("t1");
    assertEquals(Set.of(), far.snapshot().credited(), "forgotten: no longer shown");
    assertEquals(false, far.credit("t1", 2), "a forgotten credit still adds nothing");
    assertEquals(3, far.snapshot().remainingUnits());
  }

  @Test
  void aReadShowsOnlyTheTransfersUnderWayHoweverManyWereMade() {
    ShardBackend near = store.shard(SPEC, "near");
    ShardBackend far = store.shard(SPEC, "far");
    for (int i = 0; i < 500; i++) { // the same unit back and forth
      ShardBackend from = i % 2 == 0 ? near : far;
      ShardBackend to = i % 2 == 0 ? far : near;
      assertTrue(flashsale.shard.TransferSteps.transfer(Map.of("near", near, "far", far),
          new flashsale.shard.TransferPlan(from.region(), to.region(), 1), "t" + i));
    }
    near.debit("under-way", 1, "far");
    assertEquals(List.of(new TransferRecord("under-way", "near", "far", 1, true)), near.snapshot().outgoing());
    assertEquals(List.of(), far.snapshot().outgoing());
    assertEquals(Set.of(), near.snapshot().credited());
    assertEquals(Set.of(), far.snapshot().credited());
    assertEquals(new EventAccount(3, 0, 1, 1), EventAccount.of(List.of(near.snapshot(), far.snapshot())).requireConserved(4));
    assertEquals(DebitResult.ALREADY_DEBITED, near.debit("t0", 1, "far"), "an old id still never debits again");
    assertEquals(false, far.credit("t0", 1), "nor credits again");
  }

  @Test
  void aDebitBeyondTheShardIsShortAndAnEmptyOneIsRefusedBothChangingNothing() {
    ShardBackend far = store.shard(SPEC, "far");
    assertEquals(DebitResult.SHORT, far.debit("t1", 2, "near"));
    assertThrows(RuntimeException.class, () -> far.debit("t2", 0, "near"));
    assertEquals(1, far.snapshot().remainingUnits());
    assertEquals(List.of(), far.snapshot().outgoing());
    assertEquals(DebitResult.DEBITED, far.debit("t1", 1, "near"), "a short debit left no record of its id");
  }

  @Test
  void aCreditOfNoUnitsIsRefusedAndLeavesItsIdUnused() {
    ShardBackend far = store.shard(SPEC, "far");
    assertThrows(RuntimeException.class, () -> far.credit("t1", 0));
    assertThrows(RuntimeException.class, () -> far.credit("t1", -3));
    assertEquals(1, far.snapshot().remainingUnits(), "no unit destroyed");
    assertTrue(far.credit("t1", 2), "the id was not used up");
    assertEquals(3, far.snapshot().remainingUnits());
  }

  @Test
  void stockIsConservedAcrossSalesAndAHalfDoneTransfer() {
    decided(buy("r1", "ann", 1, "near", false));
    ShardBackend near = store.shard(SPEC, "near");
    ShardBackend far = store.shard(SPEC, "far");
    near.debit("t1", 2, "far");
    EventAccount halfDone = EventAccount.of(List.of(near.snapshot(), far.snapshot()));
    assertEquals(new EventAccount(1, 1, 2, 1), halfDone.requireConserved(4), "debited, not yet credited: in flight");
    far.credit("t1", 2);
    assertEquals(new EventAccount(3, 1, 0, 1), EventAccount.of(List.of(near.snapshot(), far.snapshot())),
        "credited, not yet settled: nothing in flight");
    assertEquals(Outcome.WON, decided(buy("r2", "bob", 2, "far", false)).outcome());
    assertEquals(new EventAccount(1, 3, 0, 1), EventAccount.of(List.of(near.snapshot(), far.snapshot())).requireConserved(4));
  }

  @Test
  void anUntouchedShardReadsAsItsInitialUnits() {
    assertEquals(3, store.shard(SPEC, "near").snapshot().remainingUnits());
    assertEquals(0, store.shard(SPEC, "near").snapshot().soldUnits());
    assertTrue(store.shard(SPEC, "far").credit("t9", 2), "a credit to an untouched shard adds to its initial units");
    assertEquals(3, store.shard(SPEC, "far").snapshot().remainingUnits());
  }

  @Test
  void openingAtCreationStartsEachShardAtItsUnitsOnceAndRefusesOtherUnits() {
    EventSpec opened = SPEC.withPoolsOpenedAtCreation(true);
    store.openShard(opened, "near").join();
    store.openShard(opened, "far").join();
    assertEquals(new PoolCounters(3, 0, 0, 0), store.shardCounters(opened, "near").join());
    assertEquals(Outcome.WON, decided(store.buyShard(opened, new Ticket("e", "r1", "ann", 2, "near", START + 10), false)
        .join()).outcome());
    store.openShard(opened, "near").join(); // a retried create changes nothing
    assertEquals(new PoolCounters(1, 2, 1, 1), store.shardCounters(opened, "near").join());

    EventSpec otherUnits = new EventSpec("e", "shoes", 4, START, START + 3_600_000_000L, 2, List.of("near", "far"),
        SaleMode.SHARDED, 7, Map.of("near", 1L, "far", 3L));
    var clash = assertThrows(RuntimeException.class, () -> store.openShard(otherUnits, "far").join());
    assertInstanceOf(flashsale.store.PoolExistsException.class, clash.getCause(), clash.toString());
    assertEquals(1, store.shard(opened, "far").snapshot().remainingUnits(), "left as it was");
  }

  @Test
  void aShardTheSpecSaysWasOpenedButTheStoreLacksIsLostNotStarted() {
    EventSpec opened = SPEC.withPoolsOpenedAtCreation(true);
    for (Runnable call : List.<Runnable>of(
        () -> store.buyShard(opened, new Ticket("e", "r1", "ann", 1, "near", START + 10), true).join(),
        () -> store.shardCounters(opened, "near").join(),
        () -> store.shard(opened, "far").snapshot(),
        () -> store.shard(opened, "far").credit("t1", 1))) {
      var e = assertThrows(RuntimeException.class, call::run);
      assertInstanceOf(flashsale.store.PoolLostException.class, flashsale.store.PoolLostException.in(e).orElse(null),
          e.toString());
    }
  }
}
