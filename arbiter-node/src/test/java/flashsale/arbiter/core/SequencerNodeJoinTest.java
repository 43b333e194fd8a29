package flashsale.arbiter.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * How a region node joins the order: its welcome names a stamp floor above everything already
 * released in its region's events, and a named node is welcomed only once the store holds it, so
 * every later leader waits for it. No ticket a welcomed node stamps is then decided late because of
 * its join or a leader change; a node that never comes costs one region timeout, once.
 */
class SequencerNodeJoinTest {
  private static final long TIMEOUT_MICROS = 500_000;
  private static final SequencerConfig CONFIG = new SequencerConfig(64, 5_000, 1_000_000, TIMEOUT_MICROS);
  private static final String A = "eu/a";
  private static final String B = "eu/b";

  /** What the store holds of region nodes (ArbiterStore.recordRegionNode), shared by every leader here. */
  private final Set<String> recorded = new LinkedHashSet<>();
  private final SequencerDriver first = new SequencerDriver(CONFIG);

  private static Ticket ticket(String requestId, String source, long stampMicros) {
    Ticket t = SequencerDriver.ticket(requestId, source.startsWith("eu") ? "eu" : source, stampMicros);
    return source.startsWith("eu/") ? t.withNode(source.substring(3)) : t;
  }

  /** Connects {@code source} and carries out its records as the runner does; returns its welcome, if any. */
  private List<Effect.WelcomeRegionNode> join(SequencerDriver leader, String source) {
    List<Effect> out = new ArrayList<>(leader.connect(source));
    out.addAll(storeRecords(leader, out));
    return SequencerDriver.of(out, Effect.WelcomeRegionNode.class);
  }

  /** The store takes every record asked for in {@code effects}; returns what the sequencer answers. */
  private List<Effect> storeRecords(SequencerDriver leader, List<Effect> effects) {
    List<Effect> out = new ArrayList<>();
    for (Effect.RecordRegionNode r : SequencerDriver.of(effects, Effect.RecordRegionNode.class)) {
      recorded.add(r.source());
      out.addAll(leader.sequencer.regionNodeRecorded(r.source(), leader.nowMicros));
    }
    leader.effects.addAll(out);
    return out;
  }

  @Test
  void aNamedNodeIsWelcomedOnlyOnceTheStoreHoldsItAndAboveEverythingReleased() {
    first.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    assertEquals(1, join(first, "far").size(), "an unnamed node is welcomed at once: the event names its region");
    assertEquals(1, join(first, A).size());
    first.send(A, ticket("a1", A, 5_000));
    first.watermarks(6_000, A, "far");
    first.persistAll();
    assertEquals(List.of("a1"), first.decidedOrder());

    List<Effect> out = first.connect(B); // scaled out during the sale
    assertEquals(List.of(new Effect.RecordRegionNode(B)), out, "no welcome before the store holds b");
    first.send(A, ticket("a2", A, 7_000));
    first.watermarks(8_000, A, "far");
    assertEquals(0, first.unpersistedBatches(), "b is known now: the frontier waits for it");

    List<Effect> welcome = storeRecords(first, out);
    assertEquals(List.of(new Effect.WelcomeRegionNode(B, 5_000)), welcome,
        "b stamps above a1, the latest ticket released in its region's events");
    first.send(B, ticket("b1", B, 5_001)); // its clock read 4_000: the floor lifted the stamp
    first.watermark(B, 8_000);
    first.persistAll();
    assertEquals(List.of("a1", "b1", "a2"), first.decidedOrder());
    assertFalse(first.toldTo(B).get(0).late(), "b's first ticket is ranked in order, not late");
  }

  /** Seed 182 of the two-node simulation, at the core: no hello names b, yet the next leader waits for it. */
  @Test
  void aNewLeaderWaitsForANodeAnEarlierLeaderWelcomedThoughNoSiblingNamesIt() {
    first.add(SequencerDriver.spec(1, 1, 7, "eu", "far"));
    join(first, A);
    join(first, B);
    join(first, "far");
    first.send(B, ticket("b1", B, 10_000)); // b's oldest ticket: it should win the one unit
    assertEquals(Set.of(A, B), recorded);

    SequencerDriver next = new SequencerDriver(CONFIG, first.store); // the lease moves; b is still away
    next.sequencer.regionNodesRecorded(List.copyOf(recorded), next.nowMicros);
    next.addFromStore(SequencerDriver.EVENT);
    join(next, A); // names no sibling: its list missed b
    join(next, "far");
    next.send("far", ticket("f1", "far", 26_000));
    next.watermarks(40_000, A, "far");
    assertEquals(0, next.unpersistedBatches(), "b, recorded by the earlier leader, holds the frontier");

    join(next, B);
    next.send(B, ticket("b1", B, 10_000)); // resent on its new stream
    next.watermark(B, 40_000);
    next.persistAll();
    assertEquals(List.of("b1", "f1"), next.decidedOrder());
    Decision b1 = next.toldTo(B).get(0);
    assertTrue(b1.won() && !b1.late(), "the oldest ticket wins, in order: " + b1);
  }

  /**
   * A new leader recovering longer than the region timeout (a store outage, many events) admits no
   * stream meanwhile: nobody could speak, so nobody times out then, nor is forgotten; the silence
   * counts from admission. It once timed out every node it was still refusing, and a node coming
   * back a moment later found another region's later ticket released ahead of its oldest.
   */
  @Test
  void aNodeIsNotTimedOutWhileTheNewLeaderStillRefusesStreams() {
    first.add(SequencerDriver.spec(1, 1, 7, "eu", "far"));
    join(first, A);
    join(first, B);
    join(first, "far");
    first.send(B, ticket("b1", B, 10_000)); // b's oldest ticket: it should win the one unit

    SequencerDriver next = new SequencerDriver(CONFIG, first.store); // the lease moves
    next.sequencer.holdStreamsBack();
    next.sequencer.regionNodesRecorded(List.copyOf(recorded), next.nowMicros);
    next.addFromStore(SequencerDriver.EVENT);
    var duringRecovery = next.tick(2 * TIMEOUT_MICROS); // recovery outlasts the timeout
    assertEquals(List.of(), SequencerDriver.of(duringRecovery, Effect.ForgetRegionNode.class), "nobody could speak");
    assertEquals(List.of(), SequencerDriver.of(duringRecovery, Effect.RegionExclusion.class));
    next.sequencer.streamsAdmitted(next.nowMicros);
    assertEquals(List.of(), SequencerDriver.of(next.tick(TIMEOUT_MICROS - 1), Effect.RegionExclusion.class),
        "silence counts from admission, not from the start of recovery");
    join(next, A);
    join(next, "far");
    next.send("far", ticket("f1", "far", 26_000));
    next.watermarks(40_000, A, "far");
    assertEquals(0, next.unpersistedBatches(), "b, admitted a moment ago, still holds the frontier");

    join(next, B);
    next.send(B, ticket("b1", B, 10_000)); // resent on its new stream
    next.watermark(B, 40_000);
    next.persistAll();
    assertEquals(List.of("b1", "f1"), next.decidedOrder());
    assertTrue(next.toldTo(B).get(0).won(), "the oldest ticket wins");
  }

  /**
   * The store keeps which node stamped the last released ticket, so a new leader still knows that a
   * ticket of that node stamped below it is behind its own stream's order (late), not a near-tie
   * with another node for the lottery to place. The node was once dropped on the way through the
   * store, and such a ticket was then ranked on time, after the later one.
   */
  @Test
  void aNewLeaderRanksATicketBehindItsOwnNodesLastReleasedOneLate() {
    SequencerConfig bounded = new SequencerConfig(64, 5_000, 1_000_000, TIMEOUT_MICROS, 1_000);
    SequencerDriver leader = new SequencerDriver(bounded);
    leader.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    join(leader, A);
    join(leader, "far");
    leader.send(A, boundedTicket("a1", 5_000));
    leader.watermarks(8_000, A, "far");
    leader.persistAll();

    SequencerDriver next = new SequencerDriver(bounded, leader.store);
    next.sequencer.regionNodesRecorded(List.copyOf(recorded), next.nowMicros);
    next.addFromStore(SequencerDriver.EVENT);
    join(next, A);
    join(next, "far");
    next.send(A, boundedTicket("a0", 4_800)); // inside a1's band, from a1's own node
    next.watermarks(9_000, A, "far");
    next.persistAll();
    Decision a0 = next.toldTo(A).get(0);
    assertTrue(a0.late() && !a0.nearTie(), "behind its own node's released ticket: " + a0);
  }

  private static Ticket boundedTicket(String requestId, long stampMicros) {
    return new Ticket(SequencerDriver.EVENT, requestId, "user-" + requestId, 1, "eu", stampMicros, 400).withNode("a");
  }

  @Test
  void aNodeTheStoreHeldIsRecordedAgainBeforeItsFirstWelcomeOfTheTerm() {
    recorded.add(A);
    SequencerDriver next = new SequencerDriver(CONFIG);
    next.sequencer.regionNodesRecorded(List.of(A), next.nowMicros);
    next.add(SequencerDriver.spec(5, 1, 7, "eu"));
    // An earlier leader's forget may land after this term read the store: the welcome waits for a write of its own.
    assertEquals(List.of(new Effect.RecordRegionNode(A)), next.connect(A));
    assertEquals(List.of(new Effect.WelcomeRegionNode(A, Long.MIN_VALUE)),
        next.sequencer.regionNodeRecorded(A, next.nowMicros));
  }

  @Test
  void aRecordedNodeThatNeverComesIsLeftOutAtTheTimeoutAndForgotten() {
    recorded.add(B);
    SequencerDriver next = new SequencerDriver(CONFIG);
    next.sequencer.regionNodesRecorded(List.of(B), next.nowMicros);
    next.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    join(next, A);
    join(next, "far");
    next.send(A, ticket("a1", A, 6_000));
    next.tick(TIMEOUT_MICROS / 2);
    next.watermarks(9_000, A, "far");
    assertEquals(0, next.unpersistedBatches(), "b is waited for");
    List<Effect> out = next.tick(TIMEOUT_MICROS / 2 + 1);
    assertTrue(out.contains(new Effect.ForgetRegionNode(B)), "later leaders need not wait for b: " + out);
    next.watermarks(9_500, A, "far");
    assertEquals(1, next.unpersistedBatches(), "left out like a silent region");
    assertFalse(next.tick(TIMEOUT_MICROS + 1).contains(new Effect.ForgetRegionNode(B)), "forgotten once");
  }

  @Test
  void aNodeBackAfterATimeoutIsWaitedForAgainAndWelcomedAboveWhatPassedItMeanwhile() {
    first.add(SequencerDriver.spec(5, 1, 7, "eu", "far"));
    join(first, A);
    join(first, B);
    join(first, "far");
    first.watermarks(1_000, A, B, "far");
    first.disconnect(B);
    first.tick(TIMEOUT_MICROS / 2);
    first.watermarks(2_000, A, "far");
    assertTrue(first.tick(TIMEOUT_MICROS / 2 + 1).contains(new Effect.ForgetRegionNode(B)), "b is left out and forgotten");
    first.send(A, ticket("a1", A, 3_000));
    first.watermarks(4_000, A, "far");
    first.persistAll();
    assertEquals(List.of("a1"), first.decidedOrder());

    List<Effect> back = first.connect(B);
    assertTrue(back.stream().anyMatch(e -> e instanceof Effect.RegionExclusion x && !x.excluded()), "b rejoins: " + back);
    first.send(A, ticket("a2", A, 5_000));
    first.watermarks(6_000, A, "far");
    assertEquals(0, first.unpersistedBatches(), "b holds the frontier again from its reconnect");
    assertEquals(List.of(new Effect.WelcomeRegionNode(B, 3_000)), storeRecords(first, back),
        "recorded again, then welcomed above a1, which passed b while it was away");
    first.send(B, ticket("b1", B, 3_001));
    first.watermark(B, 6_000);
    first.persistAll();
    assertEquals(List.of("a1", "b1", "a2"), first.decidedOrder());
    assertFalse(first.toldTo(B).get(0).late());
  }

  @Test
  void theFloorCoversWhatTheNodeItselfPromisedBeforeItsRestart() {
    first.add(SequencerDriver.spec(5, 1, 7, "eu"));
    join(first, "eu");
    first.watermark("eu", 90_000); // its clock ran ahead, then stepped back and the node restarted
    first.disconnect("eu");
    assertEquals(List.of(new Effect.WelcomeRegionNode("eu", 90_000)), join(first, "eu"),
        "the restarted node stamps above its old promise, so its new tickets are not refused as back-dated");
  }
}
