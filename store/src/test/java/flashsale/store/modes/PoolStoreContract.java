package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardBackend.DebitResult;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.PoolStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PoolStore} must do, as regions buying from the CENTRAL pool and nodes reading
 * the pools see it; a shard's selling and transfers are {@link ShardStoreContract}'s, checked here
 * only as far as reads and one transfer go. Subclasses supply the store over empty state.
 */
public abstract class PoolStoreContract {
  private static final long START = 1_767_225_600_000_000L;

  private PoolStore store;

  /** A new store over empty state. */
  protected abstract PoolStore newStore();

  @BeforeEach
  void open() {
    store = newStore();
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void openingAtCreationStartsTheCentralPoolOnceAndRefusesOtherUnits() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3).withPoolsOpenedAtCreation(true);
    store.openCentral(spec).join();
    assertEquals(new PoolCounters(3, 0, 0, 0), store.centralCounters(spec).join());
    buyCentral(spec, "r1", "ann", 2);
    store.openCentral(spec).join(); // a retried create changes nothing
    assertEquals(new PoolCounters(1, 2, 1, 1), store.centralCounters(spec).join());
    var clash = assertThrows(RuntimeException.class, () -> store.openCentral(spec("c", SaleMode.CENTRAL, 9)).join());
    assertInstanceOf(flashsale.store.PoolExistsException.class, clash.getCause(), clash.toString());
    assertEquals(new PoolCounters(1, 2, 1, 1), store.centralCounters(spec).join(), "left as it was");
  }

  @Test
  void aCentralPoolTheSpecSaysWasOpenedButTheStoreLacksIsLostNotStarted() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3).withPoolsOpenedAtCreation(true);
    var bought = assertThrows(RuntimeException.class, () -> buyCentral(spec, "r1", "ann", 1));
    assertInstanceOf(flashsale.store.PoolLostException.class, flashsale.store.PoolLostException.in(bought).orElse(null));
    var read = assertThrows(RuntimeException.class, () -> store.centralCounters(spec).join());
    assertInstanceOf(flashsale.store.PoolLostException.class, flashsale.store.PoolLostException.in(read).orElse(null));
  }

  @Test
  void centralCountersAndDecisionLogFollowTheOrderOfArrival() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3);
    assertEquals(new PoolCounters(3, 0, 0, 0), store.centralCounters("c", 3).join(), "untouched pool holds its stock");
    List<Decision> decided = List.of(
        buyCentral(spec, "r1", "ann", 2), buyCentral(spec, "r2", "bob", 2), buyCentral(spec, "r3", "cat", 1),
        buyCentral(spec, "r4", "dan", 1));
    buyCentral(spec, "r1", "ann", 2); // a retry decides nothing new

    assertEquals(new PoolCounters(0, 3, 4, 2), store.centralCounters("c", 3).join());
    assertEquals(List.of(1L, 2L, 3L, 4L), decided.stream().map(Decision::rank).toList());
    assertEquals(LossReason.INSUFFICIENT_STOCK, decided.get(1).lossReason(), "all or nothing: 2 asked, 1 left");
    assertEquals(LossReason.SOLD_OUT, decided.get(3).lossReason());
    assertEquals(decided, store.listCentralDecisions("c", 0, 10).join());
    assertEquals(decided.subList(1, 3), store.listCentralDecisions("c", 1, 2).join(), "a page starts after its rank");
    assertEquals(List.of(), store.listCentralDecisions("c", 4, 10).join());
    assertEquals(Optional.of(decided.get(2)), store.findCentralDecision("c", "r3").join());
    assertEquals(Optional.empty(), store.findCentralDecision("c", "nobody").join());
  }

  @Test
  void aCentralRetryGetsItsFirstDecisionAndTakesNothing() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3);
    BuyReply first = store.buyCentral(spec, ticket("c", "r1", "ann", 1, "beijing")).join();
    Decision won = assertInstanceOf(BuyReply.Decided.class, first).decision();
    assertEquals(false, ((BuyReply.Decided) first).retry());
    assertEquals(new BuyReply.Decided(won, true), store.buyCentral(spec, ticket("c", "r1", "ann", 1, "beijing")).join());
    assertEquals(new BuyReply.Decided(won, true), store.buyCentral(spec, ticket("c", "r1", "bob", 2, "shanghai")).join(),
        "a reused id gets the stored decision, whose ticket tells the caller it was another purchase");
    assertEquals(new PoolCounters(2, 1, 1, 1), store.centralCounters("c", 3).join());
    assertEquals(List.of(won), store.listCentralDecisions("c", 0, 10).join());
  }

  @Test
  void theCentralPerUserLimitCountsUnitsWonFromEveryRegionAndComesBeforeStock() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3); // two units per user
    assertEquals(Outcome.WON, store.buyCentral(spec, ticket("c", "r1", "ann", 1, "beijing")).thenApply(this::decision)
        .join().outcome());
    assertEquals(LossReason.LIMIT_EXCEEDED, store.buyCentral(spec, ticket("c", "r2", "ann", 2, "shanghai"))
        .thenApply(this::decision).join().lossReason(), "ann holds 1 of her 2, from another region");
    assertEquals(Outcome.WON, buyCentral(spec, "r3", "ann", 1).outcome(), "a loss took nothing from her allowance");
    assertEquals(Outcome.WON, buyCentral(spec, "r4", "bob", 1).outcome());
    assertEquals(LossReason.LIMIT_EXCEEDED, buyCentral(spec, "r5", "ann", 1).lossReason(), "over the limit, and sold out");
    assertEquals(LossReason.SOLD_OUT, buyCentral(spec, "r6", "cat", 1).lossReason());
    assertEquals(new PoolCounters(0, 3, 6, 3), store.centralCounters("c", 3).join());
  }

  @Test
  void aDecisionHoldsWhatThePoolKeepsOfTheTicket() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 3);
    Ticket asked = new Ticket("c", "r1", "ann", 1, "beijing", START, 250, List.of(), 0, "node-2");
    Decision won = store.buyCentral(spec, asked).thenApply(this::decision).join();
    assertEquals(new Ticket("c", "r1", "ann", 1, "beijing", START), won.ticket(), "no error bound, no node");
    assertEquals(Optional.of(won), store.findCentralDecision("c", "r1").join());
  }

  @Test
  void concurrentBuyersNeverOversellTheCentralPoolAndEachRankIsGivenOnce() {
    EventSpec spec = spec("c", SaleMode.CENTRAL, 10);
    List<CompletableFuture<BuyReply>> replies = new ArrayList<>();
    try (ExecutorService buyers = Executors.newFixedThreadPool(4)) {
      for (int i = 0; i < 40; i++) {
        Ticket t = ticket("c", "r" + i, "user" + i, 1 + i % 2, i % 3 == 0 ? "shanghai" : "beijing");
        replies.add(CompletableFuture.supplyAsync(() -> store.buyCentral(spec, t), buyers).thenCompose(r -> r));
      }
    }
    List<Decision> decided = replies.stream().map(CompletableFuture::join).map(this::decision).toList();
    long unitsWon = decided.stream().filter(Decision::won).mapToLong(d -> d.ticket().quantity()).sum();
    assertEquals(10, unitsWon, "every unit sold, none twice");
    long wins = decided.stream().filter(Decision::won).count();
    assertEquals(new PoolCounters(0, 10, 40, wins), store.centralCounters("c", 10).join());
    List<Decision> log = store.listCentralDecisions("c", 0, 100).join();
    assertEquals(LongStream.rangeClosed(1, 40).boxed().toList(), log.stream().map(Decision::rank).toList());
    assertEquals(decided.stream().sorted(Comparator.comparingLong(Decision::rank)).toList(), log);
  }

  @Test
  void aPageStartsAtRankZeroOrLaterAndHoldsAtLeastOneDecision() {
    buyCentral(spec("c", SaleMode.CENTRAL, 3), "r1", "ann", 1);
    assertThrows(IllegalArgumentException.class, () -> store.listCentralDecisions("c", -1, 10));
    assertEquals(List.of(), store.listCentralDecisions("c", 0, 0).join());
    assertEquals(List.of(), store.listCentralDecisions("unknown", 0, 10).join());
  }

  @Test
  void aShardIsReadOnlyAtItsOwnRegion() {
    EventSpec spec = spec("s", SaleMode.SHARDED, 4);
    Decision won = store.buyShard(spec, ticket("s", "r1", "ann", 1, "beijing"), true).thenApply(this::decision).join();
    assertEquals(Optional.of(won), store.findShardDecision("s", "beijing", "r1").join());
    assertEquals(Optional.empty(), store.findShardDecision("s", "shanghai", "r1").join());
    assertEquals(Optional.empty(), store.findCentralDecision("s", "r1").join(), "a shard is not the central pool");
    assertEquals(new PoolCounters(1, 1, 1, 1), store.shardCounters("s", "beijing", 2).join());
    assertEquals(new PoolCounters(2, 0, 0, 0), store.shardCounters("s", "shanghai", 2).join());
  }

  @Test
  void aTransferMovesUnitsBetweenTwoRegionsShardsOnce() {
    EventSpec spec = spec("t", SaleMode.SHARDED, 4); // 2 units per region
    ShardBackend beijing = store.shard(spec, "beijing");
    ShardBackend shanghai = store.shard(spec, "shanghai");
    assertEquals(DebitResult.DEBITED, beijing.debit("x1", 2, "shanghai"));
    assertEquals(DebitResult.ALREADY_DEBITED, beijing.debit("x1", 2, "shanghai"));
    assertEquals(true, shanghai.credit("x1", 2));
    assertEquals(false, shanghai.credit("x1", 2), "credited once");
    beijing.settle("x1");
    assertEquals(0, beijing.snapshot().remainingUnits());
    assertEquals(4, shanghai.snapshot().remainingUnits());
    assertEquals(DebitResult.SHORT, beijing.debit("x2", 1, "shanghai"));
  }

  private Decision buyCentral(EventSpec spec, String requestId, String user, int quantity) {
    return store.buyCentral(spec, ticket(spec.eventId(), requestId, user, quantity, "beijing")).thenApply(this::decision)
        .join();
  }

  private Decision decision(BuyReply reply) {
    return assertInstanceOf(BuyReply.Decided.class, reply).decision();
  }

  private static Ticket ticket(String eventId, String requestId, String user, int quantity, String region) {
    return new Ticket(eventId, requestId, user, quantity, region, START + requestId.hashCode());
  }

  private static EventSpec spec(String eventId, SaleMode mode, long stock) {
    return new EventSpec(eventId, "shoes", stock, START, START + 3_600_000_000L, 2, List.of("beijing", "shanghai"),
        mode, 7);
  }
}
