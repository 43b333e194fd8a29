package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.ShardBalancer.Effect;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The arbiter's SHARDED core driven directly against in-memory shards, with store calls that fail. */
class ShardBalancerTest {
  private static final EventSpec SPEC = new EventSpec("ev", "shoes", 10, 0, 1_000_000, 1, List.of("near", "far"),
      SaleMode.SHARDED, 0, Map.of("near", 2L, "far", 8L));
  private static final long STALE_MICROS = 1_000_000;

  private final ShardLedger ledger = new ShardLedger(SPEC.shardUnits());
  private final Map<String, ShardBackend> shards = ledger.backends();
  private final ShardBalancer<String> balancer = new ShardBalancer<>(0, STALE_MICROS, "a1");
  /** Store calls that are lost before they reach the store. */
  private Predicate<Effect<String>> lost = e -> false;
  /** Store calls carried out whose answer is lost. */
  private Predicate<Effect<String>> replyLost = e -> false;
  private final List<Effect.Answer<String>> answers = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private final List<String> transferIds = new ArrayList<>();

  /** Carries the effects out at once, as the production adapter does, until none is left. */
  private void run(List<Effect<String>> first) {
    run(balancer, first);
  }

  private void run(ShardBalancer<String> balancer, List<Effect<String>> first) {
    Deque<Effect<String>> work = new ArrayDeque<>(first);
    while (!work.isEmpty()) {
      Effect<String> effect = work.poll();
      boolean reaches = !lost.test(effect);
      boolean answered = reaches && !replyLost.test(effect);
      switch (effect) {
        case Effect.Read<String> r ->
            work.addAll(balancer.read(r, reaches ? Optional.of(shards.get(r.region()).snapshot()) : Optional.empty(), 0));
        case Effect.Debit<String> d -> {
          transferIds.add(d.transferId());
          work.addAll(balancer.debited(d, reaches
              ? Optional.of(shards.get(d.plan().source()).debit(d.transferId(), d.plan().units(), d.plan().target()))
              : Optional.empty()));
        }
        case Effect.Credit<String> c -> {
          if (reaches) shards.get(c.target()).credit(c.transferId(), c.units());
          work.addAll(balancer.credited(c, answered));
        }
        case Effect.Settle<String> s -> {
          if (reaches) shards.get(s.source()).settle(s.transferId());
          work.addAll(balancer.settled(s, answered));
        }
        case Effect.ForgetCredit<String> f -> {
          if (reaches) shards.get(f.target()).forgetCredit(f.transferId());
          work.addAll(balancer.forgotten(f, answered));
        }
        case Effect.Answer<String> a -> answers.add(a);
        case Effect.RoundFailed<String> f -> failures.add(f.why());
      }
    }
  }

  private Effect.Answer<String> onlyAnswer(String handle) {
    List<Effect.Answer<String>> mine = answers.stream().filter(a -> a.handle().equals(handle)).toList();
    assertEquals(1, mine.size(), "answers to " + handle + ": " + answers);
    return mine.getFirst();
  }

  @Test
  void aBorrowIsAnsweredAfterStockMovedToTheRegionThatWaits() {
    assertTrue(ledger.sell("near", 2));
    run(balancer.report(SPEC, new ShardDemand("near", 0, 3, 0), "borrow", 0));

    EventAccount account = onlyAnswer("borrow").account().orElseThrow();
    assertEquals(3, ledger.backends().get("near").snapshot().remainingUnits(), "near got the 3 units it waits for");
    assertEquals(new EventAccount(8, 2, 0, 0), account, "the answer is read after the transfer, all settled");
    assertEquals(List.of(), failures);
  }

  @Test
  void aReportWithNothingWaitingIsAnsweredAtOnceOnceAnAccountExists() {
    run(balancer.report(SPEC, new ShardDemand("far", 8, 0, 0), "first", 0));
    assertEquals(Optional.of(new EventAccount(10, 0, 0, 0)), onlyAnswer("first").account(), "the first report reads");
    List<Effect<String>> effects = balancer.report(SPEC, new ShardDemand("far", 8, 0, 0), "second", 1);
    assertEquals(List.of(new Effect.Answer<>("second", Optional.of(new EventAccount(10, 0, 0, 0)))), effects,
        "no store call");
  }

  @Test
  void aTransferLeftHalfDoneByALostCreditIsCompletedOnceByTheNextRound() {
    ledger.sell("near", 2);
    lost = e -> e instanceof Effect.Credit<String>;
    run(balancer.report(SPEC, new ShardDemand("near", 0, 3, 0), "borrow", 0));
    assertEquals(1, failures.size(), failures.toString());
    EventAccount halfDone = ledger.account().requireConserved(10);
    assertEquals(3, halfDone.inFlightUnits(), "debited at far, not credited at near");
    assertFalse(onlyAnswer("borrow").account().orElseThrow().soldOut());

    lost = e -> false;
    run(balancer.tick(1));
    assertEquals(new EventAccount(8, 2, 0, 0), ledger.account().requireConserved(10));
    assertEquals(3, ledger.backends().get("near").snapshot().remainingUnits(), "credited once, not twice");
  }

  @Test
  void aCreditWhoseReplyIsLostIsNotAddedAgainWhenTheNextRoundCompletesIt() {
    ledger.sell("near", 2);
    replyLost = e -> e instanceof Effect.Credit<String>;
    run(balancer.report(SPEC, new ShardDemand("near", 0, 3, 0), "borrow", 0));
    assertEquals(1, failures.size(), failures.toString());
    assertEquals(new EventAccount(8, 2, 0, 1), ledger.account(), "credited, not settled: nothing in flight");

    replyLost = e -> false;
    run(balancer.tick(1));
    assertEquals(new EventAccount(8, 2, 0, 0), ledger.account().requireConserved(10), "settled, near still holds 3");
  }

  @Test
  void aCreditLeftShownByALostForgetIsForgottenByTheNextRoundAndReadsShowNothingOld() {
    ledger.sell("near", 2);
    lost = e -> e instanceof Effect.ForgetCredit<String>;
    run(balancer.report(SPEC, new ShardDemand("near", 0, 3, 0), "borrow", 0));
    assertEquals(List.of(), failures, "a credit is forgotten after the round's answers, not waited for");
    assertEquals(new EventAccount(8, 2, 0, 0), onlyAnswer("borrow").account().orElseThrow());
    assertEquals(1, shards.get("near").snapshot().credited().size(), "settled at far, still shown at near");
    assertEquals(new EventAccount(8, 2, 0, 0), ledger.account().requireConserved(10));

    lost = e -> false;
    run(balancer.tick(1));
    assertEquals(java.util.Set.of(), shards.get("near").snapshot().credited());
    assertEquals(List.of(), shards.get("far").snapshot().outgoing());
    assertEquals(new EventAccount(8, 2, 0, 0), ledger.account().requireConserved(10));
    assertEquals(3, shards.get("near").snapshot().remainingUnits(), "nothing credited twice");
  }

  @Test
  void soldOutEverywhereOnlyOnceEveryShardIsEmptyAndNothingIsInFlight() {
    ledger.sell("near", 2);
    ledger.sell("far", 8);
    run(balancer.report(SPEC, new ShardDemand("near", 0, 1, 0), "last", 0));
    assertTrue(onlyAnswer("last").account().orElseThrow().soldOut());
  }

  @Test
  void readsTakenWhileAnotherCoordinatorMovesStockNeverBecomeTheAccount() {
    ledger.sell("near", 2);
    ShardBalancer<String> other = new ShardBalancer<>(0, STALE_MICROS, "a2");
    List<Effect<String>> reads = balancer.report(SPEC, new ShardDemand("near", 0, 8, 0), "mine", 0);
    Effect.Read<String> readNear = (Effect.Read<String>) reads.get(0);
    Effect.Read<String> readFar = (Effect.Read<String>) reads.get(1);
    run(balancer.read(readNear, Optional.of(shards.get("near").snapshot()), 0)); // near empty, nothing credited

    // The other coordinator moves all of far's 8 to near, start to finish, between the two reads.
    run(other, other.report(SPEC, new ShardDemand("near", 0, 8, 0), "theirs", 0));
    assertEquals(List.of(), failures);
    assertEquals(0, shards.get("far").snapshot().pendingOutgoing().size());
    assertEquals(0, shards.get("far").snapshot().remainingUnits());
    run(balancer.read(readFar, Optional.of(shards.get("far").snapshot()), 0)); // far empty, transfer settled

    assertEquals(1, failures.size(), "near read before the credit, far after the settle: 2 of 10 seen");
    assertEquals(Optional.empty(), onlyAnswer("mine").account(), "never an account (sold out) from a torn read");
  }

  @Test
  void everyTransferIdNamesItsCoordinatorSoTwoNeverShareOne() {
    ledger.sell("near", 2);
    run(balancer.report(SPEC, new ShardDemand("near", 0, 1, 0), "a", 0));
    ledger.sell("near", 1);
    run(balancer.report(SPEC, new ShardDemand("near", 0, 1, 0), "b", 1));
    assertEquals(2, transferIds.size(), transferIds.toString());
    assertNotEquals(transferIds.get(0), transferIds.get(1));
    assertTrue(transferIds.stream().allMatch(id -> id.startsWith("ev/a1-")), transferIds.toString());
  }

  @Test
  void eventsWhoseReportsWentStaleLeaveNoAccountBehind() {
    for (int i = 0; i < 1_000; i++) {
      EventSpec spec = new EventSpec("ev-" + i, "shoes", 10, 0, 1_000_000, 1, List.of("near", "far"), SaleMode.SHARDED, 0,
          Map.of("near", 2L, "far", 8L));
      run(balancer.report(spec, new ShardDemand("far", 8, 0, 0), "r" + i, 0));
    }
    assertEquals(1_000, answers.size(), "each report answered once its shards were read");
    assertEquals(1_000, balancer.accountsKept());
    run(balancer.tick(STALE_MICROS + 1));
    assertEquals(0, balancer.activeEvents());
    assertEquals(0, balancer.accountsKept(), "none kept for events no longer tracked");
  }

  @Test
  void anEventWhoseReportsWentStaleIsNoLongerReadOnTicksAndIsReadAgainOnItsNextReport() {
    run(balancer.report(SPEC, new ShardDemand("far", 8, 0, 0), "r", 0));
    List<Effect<String>> fresh = balancer.tick(STALE_MICROS);
    assertEquals(2, fresh.size(), "still fresh: a round reads both shards " + fresh);
    assertEquals(List.of(), balancer.tick(STALE_MICROS), "one round at a time");
    run(fresh);
    assertEquals(List.of(), balancer.tick(STALE_MICROS + 1), "stale: let go");
    assertEquals(0, balancer.activeEvents());
    List<Effect<String>> later = balancer.report(SPEC, new ShardDemand("far", 8, 0, 0), "later", STALE_MICROS + 2);
    assertTrue(later.stream().allMatch(e -> e instanceof Effect.Read), "its account was let go: read again " + later);
    run(later);
    assertEquals(Optional.of(new EventAccount(10, 0, 0, 0)), onlyAnswer("later").account());
  }
}
