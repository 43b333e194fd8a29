package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A sequencer loaded from the store's head continues exactly where the store stands. */
class SequencerRestartTest {

  private static final String[] REGIONS = {"beijing", "shanghai", "frankfurt"};
  private static final SequencerConfig SMALL_BATCHES = new SequencerConfig(4, 5_000, 1_000_000);

  @Test
  void aLoadedHeadContinuesRanksAndTheStoreSuppliesEarlierTermsUnitsAndDecisions() {
    CheckedStore store = new CheckedStore();
    store.create(SequencerDriver.spec(10, 2, 11, "beijing"));
    Decision aliceWon = new Decision(ticket("old-1", "alice", 2, "beijing", 10), Outcome.WON, LossReason.NONE, 1, 5, false);
    Decision bobWon = new Decision(ticket("old-2", "bob", 1, "beijing", 20), Outcome.WON, LossReason.NONE, 2, 5, false);
    store.apply(new DecisionBatch(SequencerDriver.EVENT, 1, List.of(aliceWon, bobWon)));
    SequencerDriver driver = new SequencerDriver(SequencerDriver.EXACT_STAMPS, store);
    driver.addFromStore(SequencerDriver.EVENT);
    assertEquals(7, driver.status().remainingStock());
    assertEquals(2, driver.status().decisions());

    driver.connect("beijing");
    driver.send("beijing", aliceWon.ticket());
    assertEquals(List.of(new Effect.SendDecisions("beijing", List.of(aliceWon))),
        SequencerDriver.of(driver.persistAll(), Effect.SendDecisions.class),
        "a resend of an earlier term's decision is refused by the store and answered with the stored decision");
    assertEquals(2, driver.store.decisions(SequencerDriver.EVENT).size(), "and never decided twice");
    driver.send("beijing", ticket("new-1", "alice", 1, "beijing", 30), ticket("new-2", "bob", 1, "beijing", 40));
    driver.persistAll();
    List<Decision> decisions = driver.store.decisions(SequencerDriver.EVENT);
    assertEquals(4, decisions.size());
    assertEquals(LossReason.LIMIT_EXCEEDED, decisions.get(2).lossReason());
    assertEquals(3, decisions.get(2).rank());
    assertEquals(LossReason.NONE, decisions.get(3).lossReason());
    assertEquals(4, decisions.get(3).rank());
    assertEquals(6, driver.status().remainingStock());
  }

  @Test
  void aTicketBelowTheLedgersLastRankedStampIsLateAfterRestart() {
    CheckedStore store = new CheckedStore();
    store.create(SequencerDriver.spec(10, 2, 11, "beijing"));
    Decision ranked = new Decision(ticket("old", "beijing", 500), Outcome.WON, LossReason.NONE, 1, 5, false);
    store.apply(new DecisionBatch(SequencerDriver.EVENT, 1, List.of(ranked)));
    SequencerDriver driver = new SequencerDriver(SequencerDriver.EXACT_STAMPS, store);
    driver.addFromStore(SequencerDriver.EVENT);
    driver.connect("beijing");
    driver.send("beijing", ticket("older", "beijing", 400));
    driver.persistAll();
    assertTrue(driver.store.decision(SequencerDriver.EVENT, "older").late());
  }

  private int lostBatches;

  @Test
  void reDecidingAfterALeaderRestartGivesTheSameDecisions() {
    for (long seed = 0; seed < 30; seed++) {
      List<Ticket> script = script(new Random(seed));
      Map<String, Decision> reference = runWithoutCrash(script, seed);
      Map<String, Decision> recovered = runWithCrash(script, seed);
      long lastWin = reference.values().stream().filter(Decision::won).mapToLong(Decision::rank).max().orElse(0);
      assertEquals(reference.keySet(), recovered.keySet(), "seed=" + seed);
      for (String requestId : reference.keySet()) {
        Decision want = reference.get(requestId);
        Decision got = recovered.get(requestId);
        assertEquals(List.of(want.outcome(), reason(want, got), rank(want, got, lastWin), want.late()),
            List.of(got.outcome(), got.lossReason(), got.rank(), got.late()), "seed=" + seed + " " + requestId);
      }
    }
    assertTrue(lostBatches > 10, "most crashes must lose a batch in flight, lost " + lostBatches);
  }

  /**
   * The reason expected of {@code got}: {@code want}'s, except that a user over the limit through
   * units won before the crash may lose for stock instead (the new leader does not hold those
   * units, and the store refuses only wins).
   */
  private static LossReason reason(Decision want, Decision got) {
    boolean stockReason = got.lossReason() == LossReason.SOLD_OUT || got.lossReason() == LossReason.INSUFFICIENT_STOCK;
    return want.lossReason() == LossReason.LIMIT_EXCEEDED && stockReason ? got.lossReason() : want.lossReason();
  }

  /** Once sold out, waiting tickets lose as they come, so the rank of a loss after the last win depends on timing. */
  private static long rank(Decision want, Decision got, long lastWin) {
    return !want.won() && want.rank() > lastWin && got.rank() > lastWin ? got.rank() : want.rank();
  }

  /** 40 tickets from three regions, interleaved, each region's stamps increasing; users compete for 6 units. */
  private static List<Ticket> script(Random random) {
    Map<String, Long> clocks = new HashMap<>();
    List<Ticket> script = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String region = REGIONS[random.nextInt(REGIONS.length)];
      long stamp = clocks.merge(region, 1L + random.nextInt(30), Long::sum);
      script.add(ticket("req-" + i, "user-" + random.nextInt(8), 1 + random.nextInt(2), region, stamp));
    }
    return script;
  }

  private static SequencerDriver start(long seed, CheckedStore store) {
    SequencerDriver driver = new SequencerDriver(SMALL_BATCHES, store);
    driver.connect(REGIONS);
    return driver;
  }

  private static Map<String, Decision> runWithoutCrash(List<Ticket> script, long seed) {
    SequencerDriver driver = start(seed, new CheckedStore());
    driver.add(SequencerDriver.spec(6, 2, seed, REGIONS));
    for (Ticket ticket : script) {
      driver.send(ticket.region(), ticket);
      driver.persistAll();
    }
    driver.watermarks(1_000_000, REGIONS);
    driver.persistAll();
    return byRequest(driver.store);
  }

  private Map<String, Decision> runWithCrash(List<Ticket> script, long seed) {
    SequencerDriver old = start(seed, new CheckedStore());
    old.add(SequencerDriver.spec(6, 2, seed, REGIONS));
    int crashAt = script.size() / 2;
    for (Ticket ticket : script.subList(0, crashAt)) {
      old.send(ticket.region(), ticket);
      if (old.unpersistedBatches() > 0 && old.store.decisions(SequencerDriver.EVENT).size() < 4) old.persistNext();
    }
    assertTrue(old.status().pendingTickets() > 0, "the crash must lose work, seed=" + seed);
    if (old.unpersistedBatches() > 0) lostBatches++;
    Set<String> told = new HashSet<>();
    for (String region : REGIONS) old.toldTo(region).forEach(d -> told.add(d.requestId()));

    SequencerDriver leader = new SequencerDriver(SMALL_BATCHES, old.store);
    leader.addFromStore(SequencerDriver.EVENT);
    leader.connect(REGIONS);
    for (Ticket ticket : script.subList(0, crashAt)) {
      if (!told.contains(ticket.requestId())) leader.send(ticket.region(), ticket);
    }
    for (Ticket ticket : script.subList(crashAt, script.size())) leader.send(ticket.region(), ticket);
    leader.watermarks(1_000_000, REGIONS);
    leader.persistAll();
    return byRequest(leader.store);
  }

  private static Map<String, Decision> byRequest(CheckedStore store) {
    Map<String, Decision> byRequest = new HashMap<>();
    store.decisions(SequencerDriver.EVENT).forEach(d -> byRequest.put(d.requestId(), d));
    return byRequest;
  }
}
