package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.ShardBalancer.Effect;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A shard its store lost (the pool gone or marked lost) is left out of the event's rounds: the
 * other shards go on lending to each other, nothing moves to or from the lost one, a transfer
 * already debited towards it stays debited, and every round reads it again, so a restored shard is
 * taken back. Without it the others cannot add up to the stock, so their read counts only once a
 * second read shows nothing moved.
 */
class ShardBalancerLostShardTest {
  private static final EventSpec SPEC = new EventSpec("ev", "shoes", 12, 0, 1_000_000, 1,
      List.of("near", "mid", "far"), SaleMode.SHARDED, 0, Map.of("near", 2L, "mid", 6L, "far", 4L));

  private final ShardLedger ledger = new ShardLedger(SPEC.shardUnits());
  private final Map<String, ShardBackend> shards = ledger.backends();
  private final ShardBalancer<String> balancer = new ShardBalancer<>(0, 1_000_000, "a1");
  private final Set<String> lostShards = new HashSet<>();
  private final List<String> touched = new ArrayList<>(); // region of every store call
  private final List<Effect.Answer<String>> answers = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  /** Runs before each read reaches its store: another coordinator at work, say. */
  private Runnable beforeEachRead = () -> {};

  private void run(List<Effect<String>> first) {
    Deque<Effect<String>> work = new ArrayDeque<>(first);
    while (!work.isEmpty()) {
      switch (work.poll()) {
        case Effect.Read<String> r -> {
          beforeEachRead.run();
          touched.add(r.region());
          work.addAll(lostShards.contains(r.region()) ? balancer.readLost(r, 0)
              : balancer.read(r, Optional.of(shards.get(r.region()).snapshot()), 0));
        }
        case Effect.Debit<String> d -> {
          touched.add(d.plan().source());
          work.addAll(balancer.debited(d,
              Optional.of(shards.get(d.plan().source()).debit(d.transferId(), d.plan().units(), d.plan().target()))));
        }
        case Effect.Credit<String> c -> {
          touched.add(c.target());
          shards.get(c.target()).credit(c.transferId(), c.units());
          work.addAll(balancer.credited(c, true));
        }
        case Effect.Settle<String> s -> {
          touched.add(s.source());
          shards.get(s.source()).settle(s.transferId());
          work.addAll(balancer.settled(s, true));
        }
        case Effect.ForgetCredit<String> f -> {
          touched.add(f.target());
          shards.get(f.target()).forgetCredit(f.transferId());
          work.addAll(balancer.forgotten(f, true));
        }
        case Effect.Answer<String> a -> answers.add(a);
        case Effect.RoundFailed<String> f -> failures.add(f.why());
      }
    }
  }

  @Test
  void theOtherShardsStillLendToEachOtherAndARestoredShardIsTakenBack() {
    assertTrue(ledger.sell("near", 2));
    lostShards.add("far");
    run(balancer.report(SPEC, new ShardDemand("near", 0, 3, 0), "borrow", 0));

    assertEquals(List.of(), failures, "the round goes on without the lost shard");
    assertEquals(3, shards.get("near").snapshot().remainingUnits(), "near borrowed its 3 units from mid");
    assertEquals(3, shards.get("mid").snapshot().remainingUnits());
    EventAccount account = answers.getFirst().account().orElseThrow();
    assertEquals(new EventAccount(6, 2, 0, 0), account, "what the shards that are left hold and sold");

    lostShards.remove("far"); // an operator restored it
    answers.clear();
    run(balancer.report(SPEC, new ShardDemand("near", 3, 1, 0), "again", 1));
    assertEquals(new EventAccount(10, 2, 0, 0), answers.getFirst().account().orElseThrow(), "far's 4 units count again");
  }

  @Test
  void aReadTornByAnotherCoordinatorsTransferIsNotTakenForSoldOut() {
    assertTrue(ledger.sell("near", 2));
    assertEquals(ShardBackend.DebitResult.DEBITED, shards.get("mid").debit("t-0", 3, "far")); // mid keeps 3
    lostShards.add("far");
    // Between this coordinator's read of near and its read of mid, another one moves mid's 3 units to near.
    int[] reads = {0};
    beforeEachRead = () -> {
      if (++reads[0] == 2) { // near read, mid next
        assertEquals(ShardBackend.DebitResult.DEBITED, shards.get("mid").debit("t-other", 3, "near"));
        shards.get("near").credit("t-other", 3);
        shards.get("mid").settle("t-other");
      }
    };
    run(balancer.report(SPEC, new ShardDemand("near", 0, 1, 0), "borrow", 0));
    EventAccount account = answers.getFirst().account().orElseThrow();
    assertTrue(!account.soldOut(), "near holds 3 units: " + account);
    assertEquals(3, account.remainingUnits(), account.toString());
  }

  @Test
  void everyShardLostEndsEachRoundAnsweredAndARestoredOneIsReadAgain() {
    lostShards.addAll(List.of("near", "mid", "far"));
    run(balancer.report(SPEC, new ShardDemand("near", 0, 1, 0), "borrow", 0));
    assertEquals(1, failures.size(), failures.toString());
    assertEquals(1, answers.size(), "the report is answered, not left waiting");
    lostShards.clear();
    run(balancer.tick(1));
    assertEquals(Optional.of(new EventAccount(12, 0, 0, 0)), balancer.account("ev"), "read again once restored");
  }

  @Test
  void aTransferDebitedTowardsTheLostShardStaysDebitedAndStockIsNotCountedTwice() {
    assertEquals(ShardBackend.DebitResult.DEBITED, shards.get("mid").debit("t-old", 2, "far")); // then far is lost
    lostShards.add("far");
    run(balancer.report(SPEC, new ShardDemand("near", 2, 0, 0), "report", 0));

    assertEquals(List.of(), failures);
    assertEquals(1, shards.get("mid").snapshot().pendingOutgoing().size(), "left pending: its credit cannot land");
    assertEquals(new EventAccount(6, 0, 0, 0), answers.getFirst().account().orElseThrow(),
        "near 2 and mid 4 for sale; the 2 debited towards far will never land, so none is in flight");
    assertEquals(List.of("near", "mid", "far", "near", "mid", "far"), touched,
        "read twice, the second read confirming the first; nothing moved");
  }

  @Test
  void regionsAreToldTheEventSoldOutOnceTheShardsLeftAreEmptyEvenWithUnitsStuckTowardsTheLostOne() {
    assertEquals(ShardBackend.DebitResult.DEBITED, shards.get("mid").debit("t-old", 6, "far")); // then far is lost
    assertTrue(ledger.sell("near", 2));
    lostShards.add("far");
    run(balancer.report(SPEC, new ShardDemand("near", 0, 1, 0), "borrow", 0));
    assertTrue(answers.getFirst().account().orElseThrow().soldOut(),
        "held purchases are answered SOLD_OUT, not left waiting for units that cannot come");
  }

  @Test
  void aTransferFromTheLostShardWhoseCreditLandedIsSettledOnceTheShardIsRestored() {
    // far lent 2 units to near and was lost before it settled the transfer.
    assertEquals(ShardBackend.DebitResult.DEBITED, shards.get("far").debit("t-lent", 2, "near"));
    shards.get("near").credit("t-lent", 2);
    lostShards.add("far");
    run(balancer.report(SPEC, new ShardDemand("near", 4, 0, 0), "report", 0));
    assertEquals(List.of(), failures);
    assertEquals(Set.of("t-lent"), shards.get("near").snapshot().credited(),
        "kept while far is lost: far's record of it comes back with far");

    lostShards.remove("far"); // an operator restored it, the transfer still pending there
    answers.clear();
    run(balancer.tick(1));
    run(balancer.tick(2));

    assertEquals(List.of(), failures, "the restored shard's reads add up to the stock");
    assertEquals(List.of(), shards.get("far").snapshot().pendingOutgoing(), "settled at far");
    assertEquals(Set.of(), shards.get("near").snapshot().credited(), "then forgotten at near");
    assertEquals(Optional.of(new EventAccount(12, 0, 0, 0)), balancer.account("ev"));
  }

  @Test
  void aReadThatAddsUpToMoreThanTheStockIsStillATornRead() {
    lostShards.add("far");
    assertEquals(ShardBackend.DebitResult.DEBITED, shards.get("mid").debit("t-x", 3, "near"));
    shards.get("near").credit("t-x", 3);
    shards.get("near").credit("t-y", 9); // a credit no shard's record explains: more than the stock
    run(balancer.report(SPEC, new ShardDemand("near", 14, 0, 0), "report", 0));
    assertEquals(1, failures.size(), failures.toString());
    assertTrue(failures.getFirst().contains("do not add up"), failures.toString());
  }
}
