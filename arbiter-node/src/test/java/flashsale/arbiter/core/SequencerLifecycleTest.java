package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.SaleMode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What keeps a sequencer's memory and work bounded by what is live: finished events leave, durable
 * decisions are a bounded cache with the store behind it, and a sold-out event answers its waiting
 * tickets without waiting for the frontier.
 */
class SequencerLifecycleTest {
  private static final long GRACE_MICROS = 1_000_000;

  private static SequencerConfig config(int cachedDecisions) {
    return new SequencerConfig(16, 5_000, 1_000_000, 0, cachedDecisions, GRACE_MICROS, 0, 0);
  }

  private static List<Decision> persisted(List<Effect> effects) {
    return SequencerDriver.of(effects, Effect.PersistBatch.class).stream()
        .flatMap(p -> p.batch().decisions().stream()).toList();
  }

  @Test
  void anEventPastItsEndAndTheGraceLeavesOnceNothingOfItIsPending() {
    SequencerDriver driver = new SequencerDriver(config(100));
    long endMicros = 3_000_000;
    driver.add(new EventSpec(SequencerDriver.EVENT, "shoes", 5, 0, endMicros, 1, List.of("east", "west"),
        SaleMode.GLOBAL_ORDER, 7));
    driver.connect("east", "west");
    driver.send("east", ticket("a", "east", 2_000_000)); // west has not spoken: a stays pending

    List<Effect> overdue = driver.tick(endMicros + GRACE_MICROS); // now past end + grace
    assertEquals(List.of(), SequencerDriver.of(overdue, Effect.EventFinished.class), "a is still pending");
    assertTrue(driver.sequencer.eventStatus(SequencerDriver.EVENT).isPresent());

    driver.watermark("west", 2_500_000);
    driver.persistAll();
    List<Effect> finished = driver.tick(50_000);
    assertEquals(List.of(new Effect.EventFinished(SequencerDriver.EVENT)),
        SequencerDriver.of(finished, Effect.EventFinished.class));
    assertEquals(Optional.empty(), driver.sequencer.eventStatus(SequencerDriver.EVENT));
    assertEquals(0, driver.sequencer.eventCount());
    assertTrue(driver.sequencer.finished(driver.store.head(SequencerDriver.EVENT), driver.nowMicros),
        "and is not sequenced again");
    assertEquals(List.of(), SequencerDriver.of(driver.tick(50_000), Effect.EventFinished.class), "finished once");
  }

  @Test
  void onceTheStockIsGoneWaitingTicketsLoseWithoutWaitingForTheFrontier() {
    SequencerDriver driver = new SequencerDriver(config(100));
    driver.add(SequencerDriver.spec(1, 1, 3, "east", "west"));
    driver.connect("east", "west");
    driver.send("east", ticket("a", "east", 10));
    driver.watermark("west", 20);
    driver.persistAll();
    assertTrue(driver.store.decision(SequencerDriver.EVENT, "a").won());
    assertEquals(0, driver.status().remainingStock());

    // west is silent from now on: without the sold-out rule, b would wait for west's watermark
    List<Effect> effects = driver.send("east", ticket("b", "east", 30));
    List<Decision> decided = persisted(effects);
    assertEquals(1, decided.size(), "b is decided at once");
    assertEquals(LossReason.SOLD_OUT, decided.get(0).lossReason());
    driver.persistAll();
    assertEquals(LossReason.SOLD_OUT, driver.store.decision(SequencerDriver.EVENT, "b").lossReason(), "and recorded");
  }

  @Test
  void aRetryOlderThanTheDecisionCacheIsAnsweredWithTheStoredDecision() {
    SequencerDriver driver = new SequencerDriver(config(2));
    driver.add(SequencerDriver.spec(10, 1, 5, "east"));
    driver.connect("east");
    driver.send("east", ticket("a", "east", 10));
    driver.persistAll();
    driver.send("east", ticket("b", "east", 20), ticket("c", "east", 30));
    driver.persistAll();
    Decision a = driver.store.decision(SequencerDriver.EVENT, "a");
    assertEquals(Optional.empty(), driver.sequencer.persistedDecision(SequencerDriver.EVENT, "a"), "a left the cache");

    driver.connect("east"); // the region resends it on a new stream, as after a reconnect
    assertEquals(List.of(), SequencerDriver.of(driver.send("east", a.ticket()), Effect.SendDecisions.class),
        "not known in memory any more");
    List<Effect> answered = driver.persistAll(); // the store refuses the duplicate and returns its decision
    assertEquals(List.of(new Effect.SendDecisions("east", List.of(a))),
        SequencerDriver.of(answered, Effect.SendDecisions.class));
    assertEquals(3, driver.store.decisions(SequencerDriver.EVENT).size(), "never decided twice");
    assertEquals(7, driver.status().remainingStock());
  }
}
