package flashsale.arbiter.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Node ids churn with deployments, and a leader's term may outlive many of them: a node gone for
 * good leaves the sequencer once no live event knows it, and a hello cannot make the arbiter wait
 * for, or keep, thousands of siblings.
 */
class SequencerNodeChurnTest {
  private static final long TIMEOUT_MICROS = 500_000;
  private static final String A = "eu/a";
  private static final String B = "eu/b";
  private static final long PAST_FORGETTING_MICROS = RegionNodes.FORGET_SILENT_NODE_AFTER_MICROS + 1;

  private final SequencerDriver driver = new SequencerDriver(new SequencerConfig(64, 5_000, 1_000_000, TIMEOUT_MICROS));

  private static EventSpec endingAt(String eventId, long endMicros) {
    return new EventSpec(eventId, "shoes", 5, 0, endMicros, 1, List.of("eu", "far"), SaleMode.GLOBAL_ORDER, 7);
  }

  /** The named nodes of region eu the sequencer knows. */
  private List<String> nodesOfEu() {
    return driver.sequencer.regionStatuses().stream().filter(s -> s.region().equals("eu") && !s.node().isEmpty())
        .map(RegionNodeStatus::node).toList();
  }

  @Test
  void aNodeGoneForGoodIsForgottenOnceNoLiveEventKnowsItAndComesBackAsANewNode() {
    driver.add(endingAt("ended", driver.nowMicros + 1_000_000));
    driver.connect(A, B, "far");
    driver.disconnect(B);
    driver.tick(TIMEOUT_MICROS + 1); // b times out (so do a and far: connected, they are kept)
    driver.tick(SequencerConfig.DEFAULT_FINISH_GRACE_MICROS + 2_000_000); // the event finishes
    assertTrue(nodesOfEu().contains("b"), "silent only " + TIMEOUT_MICROS + "us past the timeout: kept");

    List<Effect> later = driver.tick(PAST_FORGETTING_MICROS);

    assertEquals(List.of("eu/b"), SequencerDriver.of(later, Effect.RegionNodeForgotten.class).stream()
        .map(Effect.RegionNodeForgotten::source).toList());
    assertEquals(List.of("a"), nodesOfEu(), "b is forgotten; a, still connected, is kept");

    // b comes back: a new node, and a new event waits for it until it speaks.
    driver.add(new EventSpec(SequencerDriver.EVENT, "shoes", 5, 0, 1L << 50, 1, List.of("eu", "far"),
        SaleMode.GLOBAL_ORDER, 7));
    driver.connect(B);
    RegionNodeStatus b = driver.sequencer.regionStatuses().stream().filter(s -> s.node().equals("b")).findFirst().orElseThrow();
    assertEquals(0, b.timeouts(), "a new cursor");
    driver.send(A, SequencerDriver.ticket("a1", "eu", driver.nowMicros - 1).withNode("a"));
    driver.watermarks(driver.nowMicros, A, "far");
    assertEquals(0, driver.unpersistedBatches(), "b joined the new event: the frontier waits for it");
    driver.watermark(B, driver.nowMicros);
    assertEquals(1, driver.unpersistedBatches());
  }

  /**
   * A long sale still knows a node forgotten during it: the node, back under a new cursor, takes its
   * old place in that sale, whose frontier waits for it again, and nothing of it is ranked late.
   */
  @Test
  void aNodeForgottenDuringALongSaleIsWaitedForAgainWhenItComesBack() {
    driver.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    driver.connect(A, B, "far");
    driver.disconnect(B);
    driver.tick(TIMEOUT_MICROS + 1);
    List<Effect> later = driver.tick(PAST_FORGETTING_MICROS);
    assertEquals(List.of("eu/b"), SequencerDriver.of(later, Effect.RegionNodeForgotten.class).stream()
        .map(Effect.RegionNodeForgotten::source).toList(), "forgotten though the sale still lists it");
    assertEquals(List.of("a"), nodesOfEu());

    driver.connect(B);
    driver.send(A, SequencerDriver.ticket("a1", "eu", driver.nowMicros - 1).withNode("a"));
    driver.watermarks(driver.nowMicros, A, "far");
    assertEquals(0, driver.unpersistedBatches(), "b is back: the sale waits for it again");
    driver.send(B, SequencerDriver.ticket("b1", "eu", driver.nowMicros - 2).withNode("b"));
    driver.watermark(B, driver.nowMicros);
    driver.persistAll();
    assertEquals(List.of("b1", "a1"), driver.decidedOrder());
    assertEquals(List.of(false, false), List.of(driver.toldTo(A).get(0).late(), driver.toldTo(B).get(0).late()),
        "nothing late");
  }

  @Test
  void aNodeWhoseClockIsFlaggedIsNotForgottenSoItsFlagStays() {
    driver.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    driver.connect(A, B, "far");
    driver.clock(B, 60_000_000, 1_000); // a minute off: flagged
    driver.disconnect(B);
    driver.tick(TIMEOUT_MICROS + 1);
    driver.tick(PAST_FORGETTING_MICROS);

    assertEquals(List.of("a", "b"), nodesOfEu());
    assertTrue(driver.sequencer.regionStatuses().stream().filter(s -> s.node().equals("b")).findFirst().orElseThrow()
        .clockFlagged());
  }

  @Test
  void aHelloNamingThousandsOfSiblingsAddsAtMostTheCapOfUnheardNodes() {
    driver.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    driver.connect(A, "far");
    driver.watermark(A, driver.nowMicros); // a has spoken: it is not one of the unheard
    List<String> named = IntStream.range(0, 1_000).mapToObj(i -> "ghost-" + i).toList();

    driver.sequencer.regionNodesExpected("eu", named, driver.nowMicros);
    driver.sequencer.regionNodesExpected("eu", List.of("late-1", "late-2"), driver.nowMicros);

    List<String> nodes = nodesOfEu();
    assertEquals(1 + RegionNodes.MAX_UNHEARD_NODES_PER_REGION, nodes.size(), "a and the first unheard siblings");
    assertFalse(nodes.contains("late-1"), "the cap holds across hellos");
    // a real stream of a node beyond the cap is never refused its cursor
    driver.connect("eu/c");
    assertTrue(nodesOfEu().contains("c"));
    // the hinted siblings that never came are forgotten in time, and hellos may name new ones again
    driver.tick(TIMEOUT_MICROS + 1);
    driver.tick(PAST_FORGETTING_MICROS);
    driver.sequencer.regionNodesExpected("eu", List.of("late-1"), driver.nowMicros);
    assertTrue(nodesOfEu().contains("late-1"), nodesOfEu().toString());
  }

  @Test
  void nodesTheStoreHoldsOrThatConnectedDoNotCountAgainstTheCapOfHintedOnes() {
    driver.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    driver.sequencer.regionNodesRecorded(IntStream.range(0, 100).mapToObj(i -> "eu/old-" + i).toList(), driver.nowMicros);
    driver.connect(A, "far"); // a new leader: a reconnects first, not yet welcomed (unheard)

    driver.sequencer.regionNodesExpected("eu", List.of("b"), driver.nowMicros);

    assertTrue(nodesOfEu().contains("b"), "b, named by a, is waited for so its resent tickets are not late");
  }
}
