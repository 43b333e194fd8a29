package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Decisions are told only after the store holds them, and one batch per event is in flight at a time. */
class SequencerPipelineTest {

  private final SequencerDriver driver = new SequencerDriver(new SequencerConfig(2, 5_000, 1_000_000));

  private static List<DecisionBatch> batches(List<Effect> effects) {
    return SequencerDriver.of(effects, Effect.PersistBatch.class).stream().map(Effect.PersistBatch::batch).toList();
  }

  @Test
  void nothingIsToldBeforeTheStoreHoldsTheBatch() {
    driver.add(SequencerDriver.spec(10, 5, 1, "beijing"));
    driver.connect("beijing");
    List<Effect> effects = driver.send("beijing", ticket("a", "beijing", 10));
    assertEquals(1, batches(effects).size());
    assertEquals(List.of(), SequencerDriver.of(effects, Effect.SendDecisions.class));
    assertEquals(Optional.empty(), driver.sequencer.persistedDecision(SequencerDriver.EVENT, "a"));
    assertEquals(0, driver.status().decisions());
    assertEquals(1, driver.status().pendingTickets());

    List<Effect> told = driver.persistNext();
    Decision decision = batches(effects).get(0).decisions().get(0);
    assertEquals(List.of(new Effect.SendDecisions("beijing", List.of(decision))), told);
    assertEquals(Optional.of(decision), driver.sequencer.persistedDecision(SequencerDriver.EVENT, "a"));
    assertEquals(1, driver.status().decisions());
  }

  @Test
  void onlyOneBatchIsInFlightAndTheNextFollowsTheAcknowledgement() {
    driver.add(SequencerDriver.spec(10, 5, 1, "beijing"));
    driver.connect("beijing");
    List<DecisionBatch> first = batches(driver.send("beijing", ticket("a", "beijing", 10), ticket("b", "beijing", 20),
        ticket("c", "beijing", 30), ticket("d", "beijing", 40), ticket("e", "beijing", 50)));
    assertEquals(1, first.size());
    assertEquals(2, first.get(0).decisions().size(), "maxBatchSize");
    assertEquals(List.of(), batches(driver.send("beijing", ticket("f", "beijing", 60))));

    List<Effect> afterFirst = driver.persistNext();
    assertTrue(afterFirst.get(0) instanceof Effect.SendDecisions, "tell first, then send the next batch");
    DecisionBatch second = batches(afterFirst).get(0);
    assertEquals(2, second.sequence());
    assertEquals(3, second.firstRank());
    driver.persistAll();
    assertEquals(List.of("a", "b", "c", "d", "e", "f"), driver.decidedOrder());
    assertEquals(3, batches(driver.effects).size());
  }

  @Test
  void aRepeatedAcknowledgementIsIgnoredAndAnUnknownOneIsABug() {
    driver.add(SequencerDriver.spec(10, 5, 1, "beijing"));
    driver.connect("beijing");
    driver.send("beijing", ticket("a", "beijing", 10));
    driver.persistAll();
    assertEquals(List.of(), driver.sequencer.batchPersisted(SequencerDriver.EVENT, 1, driver.nowMicros));
    assertThrows(IllegalStateException.class, () -> driver.sequencer.batchPersisted(SequencerDriver.EVENT, 2, 0));
  }

  @Test
  void eventsHaveIndependentPipelinesAndRegionsAreGlobal() {
    driver.add(SequencerDriver.spec(10, 5, 1, "beijing", "shanghai"));
    var other = new EventSpec("e2", "bag", 1, 0, 1L << 50, 1, List.of("shanghai"),
        SaleMode.GLOBAL_ORDER, 2);
    driver.store.create(other);
    driver.sequencer.eventAdded(EventHead.fresh(other), driver.nowMicros);
    driver.connect("beijing", "shanghai");
    driver.send("beijing", ticket("a", "beijing", 10));
    List<Effect> effects = driver.send("shanghai", new Ticket("e2", "x", "u", 1, "shanghai", 20));
    assertEquals(List.of(SequencerDriver.EVENT, "e2"), batches(effects).stream().map(DecisionBatch::eventId).toList(),
        "shanghai's stamp moves the frontier of both events it sells");
  }
}
