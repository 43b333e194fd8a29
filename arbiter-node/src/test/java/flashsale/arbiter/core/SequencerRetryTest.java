package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.Effect.Rejection;
import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One decision per request id, whatever a region resends after a reconnect or a user retries elsewhere. */
class SequencerRetryTest {

  private final SequencerDriver driver = new SequencerDriver();
  private final Ticket first = ticket("r1", "alice", 1, "beijing", 100);
  private final Ticket second = ticket("r2", "bob", 1, "beijing", 200);

  @BeforeEach
  void twoRegions() {
    driver.add(SequencerDriver.spec(10, 2, 5, "beijing", "shanghai"));
    driver.connect("beijing", "shanghai");
  }

  @Test
  void ticketsResentAfterReconnectAreDecidedOnce() {
    driver.send("beijing", first, second);
    driver.connect("beijing");
    driver.send("beijing", first, second, ticket("r3", "beijing", 300));
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    assertEquals(List.of("r1", "r2", "r3"), driver.decidedOrder());
    assertEquals(List.of("r1", "r2", "r3"), driver.toldTo("beijing").stream().map(Decision::requestId).toList());
  }

  @Test
  void aResendOfAPersistedDecisionGetsTheSameDecisionAtOnce() {
    driver.send("beijing", first);
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    Decision told = driver.toldTo("beijing").get(0);

    driver.connect("beijing");
    List<Effect> effects = driver.send("beijing", first);
    assertEquals(List.of(new Effect.SendDecisions("beijing", List.of(told))), effects);
    assertEquals(1, driver.store.decisions(SequencerDriver.EVENT).size());
  }

  @Test
  void aResendOfADecisionInFlightIsToldOnceItPersists() {
    driver.send("beijing", first);
    driver.watermark("shanghai", 1000);
    assertEquals(1, driver.unpersistedBatches());
    driver.connect("beijing");
    assertEquals(List.of(), driver.send("beijing", first));
    driver.persistAll();
    assertEquals(1, driver.toldTo("beijing").size(), "told once, not once per copy");
  }

  @Test
  void aRetryThroughAnotherRegionIsToldToBothRegions() {
    driver.send("beijing", first);
    Ticket sameInShanghai = new Ticket(first.eventId(), "r1", "alice", 1, "shanghai", 150);
    assertEquals(List.of(), driver.send("shanghai", sameInShanghai).stream()
        .filter(e -> !(e instanceof Effect.PersistBatch)).toList());
    driver.persistAll();
    assertEquals(1, driver.store.decisions(SequencerDriver.EVENT).size());
    assertEquals(driver.toldTo("beijing"), driver.toldTo("shanghai"));
    assertEquals(1, driver.toldTo("shanghai").size());
  }

  @Test
  void theSameRequestIdWithOtherContentIsRejectedWhetherPendingOrDecided() {
    driver.send("beijing", first);
    Ticket otherQuantity = ticket("r1", "alice", 2, "beijing", 150);
    Ticket otherUser = ticket("r1", "mallory", 1, "shanghai", 1100);
    assertEquals(Rejection.REQUEST_ID_CONFLICT, rejection(driver.send("beijing", otherQuantity)));
    driver.watermark("shanghai", 1000);
    driver.persistAll();
    assertEquals(Rejection.REQUEST_ID_CONFLICT, rejection(driver.send("shanghai", otherUser)));
    assertEquals(List.of("r1"), driver.decidedOrder());
    assertEquals(first, driver.store.decisions(SequencerDriver.EVENT).get(0).ticket());
  }

  private static Rejection rejection(List<Effect> effects) {
    List<Effect.RejectTicket> rejections = SequencerDriver.of(effects, Effect.RejectTicket.class);
    assertEquals(1, rejections.size(), effects.toString());
    assertTrue(rejections.get(0).message().contains("r1"));
    return rejections.get(0).reason();
  }
}
