package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Partitions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two partitions' leaderships of one node sharing a {@link LeaseQuota}, ticked by hand, each on an
 * {@link InMemoryLeaderLease} another arbiter ({@link #newcomer}) may take: a node takes partitions
 * up to its fair share only, gives the extra up when another arbiter joins, and takes more again
 * when it is alone.
 */
class LeaseQuotaLeadershipTest {
  private static final LeaseSettings SETTINGS = new LeaseSettings(1_000, 250);
  private static final String NEWCOMER = "10.0.0.2:9090";
  private long nowMs;
  private final LeaseQuota quota = new LeaseQuota(new Partitions(2));
  private final List<InMemoryLeaderLease.Table> leases = List.of(table(), table());
  private final List<InMemoryLeaderLease> newcomer =
      leases.stream().map(lease -> lease.contender(NEWCOMER, SETTINGS)).toList();
  private final List<Leadership> leaderships = new ArrayList<>();

  LeaseQuotaLeadershipTest() {
    DirectScheduler thread = new DirectScheduler();
    for (int p = 0; p < 2; p++) {
      LeaderLease ours = leases.get(p).contender("127.0.0.1:1", SETTINGS);
      leaderships.add(new Leadership(ours, SETTINGS, onElected(Leadership.Term::recovered),
          () -> TimeUnit.MILLISECONDS.toNanos(nowMs), thread, quota, p));
    }
  }

  @Test
  void aNodeTakesItsShareGivesTheExtraUpWhenAnotherJoinsAndTakesItBackAlone() {
    tickAllAt(0);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.LEADING), states(), "alone: both partitions");
    assertEquals(2, quota.held());

    quota.liveArbiters(2); // a second arbiter joined: share 1 of 2
    tickAllAt(250);
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states(), "the first one ticked gives its lease up");
    assertEquals(1, quota.held());

    tickAllAt(500);
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states(),
        "at its share the node does not compete for the freed partition");
    assertTrue(newcomer.get(0).tryAcquire(0).toCompletableFuture().join().mine(),
        "released: the newcomer need not wait for it to expire");
    tickAllAt(750);
    assertEquals(NEWCOMER, leaderships.get(0).leaderAddress(), "the node names the partition's holder to callers");

    quota.liveArbiters(1); // the other arbiter dropped off the roster
    leases.get(0).expire(); // and its lease ran out
    tickAllAt(1_000);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.LEADING), states(), "alone again: both");
    assertEquals(2, quota.held());
  }

  /**
   * Share 1 of 2, and the other arbiter never keeps the second partition (it takes it and fails
   * every recovery, freeing it each time): this node takes it past its share after seeing it
   * unheld for two ttls, keeps it for sixteen, and only then gives it back to rebalance.
   * (Before, the partition stayed without a leader: the node at its share never competed.)
   */
  @Test
  void aPartitionNobodyElseKeepsIsLedPastTheShareRatherThanNotAtAll() {
    quota.liveArbiters(2);
    tickAllAt(0);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.STANDBY), states(), "share 1: the second does not compete");
    long ttlMs = SETTINGS.ttlMs();
    for (long at = 250; at < Leadership.ORPHAN_AFTER_TTLS * ttlMs; at += 250) {
      tickAllAt(at);
      assertEquals(LeaderState.STANDBY, leaderships.get(1).state(), "not before it was seen unheld two ttls, at " + at);
    }
    tickAllAt(Leadership.ORPHAN_AFTER_TTLS * ttlMs + 250);
    tickAllAt(Leadership.ORPHAN_AFTER_TTLS * ttlMs + 500);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.LEADING), states(), "led past the share");
    long takenAtMs = nowMs;
    for (long at = takenAtMs + 250; at < takenAtMs + (Leadership.ORPHAN_KEEP_TTLS - 1) * ttlMs; at += 250) {
      tickAllAt(at);
      assertEquals(List.of(LeaderState.LEADING, LeaderState.LEADING), states(), "kept, not given straight back, at " + at);
    }
    for (long at = takenAtMs + (Leadership.ORPHAN_KEEP_TTLS - 1) * ttlMs; at <= takenAtMs + (Leadership.ORPHAN_KEEP_TTLS + 1) * ttlMs; at += 250) {
      tickAllAt(at);
    }
    assertEquals(1, quota.held(), "then given up to rebalance, back to the share");
  }

  @Test
  void aPartitionThatLosesItsLeaseFreesItsPlaceInTheShare() {
    quota.liveArbiters(2);
    tickAllAt(0);
    assertEquals(List.of(LeaderState.LEADING, LeaderState.STANDBY), states(), "share 1: the second does not compete");
    leases.get(0).expire(); // the renewal will be answered "not yours"
    tickAllAt(250);
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states(), "the freed place goes to the other partition");
    assertEquals(1, quota.held());
    tickAllAt(500);
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.LEADING), states(),
        "at its share again: the free partition 0 is not competed for");
  }

  /**
   * Acquires answered later, as over a network: a round of ticks sends one per free partition
   * before any is answered. The node must not win more than its share and give the extra back
   * (which would make each such partition fail over twice).
   */
  @Test
  void acquiresStillUnansweredCountAgainstTheShare() {
    LeaseQuota shared = new LeaseQuota(new Partitions(4));
    shared.liveArbiters(2); // share 2 of 4
    record Unanswered(java.util.concurrent.CompletableFuture<LeaseView> reply, long epoch) {}
    List<Unanswered> unanswered = new ArrayList<>();
    List<Leadership> four = new ArrayList<>();
    List<String> deposed = new ArrayList<>();
    DirectScheduler thread = new DirectScheduler();
    for (int p = 0; p < 4; p++) {
      long epoch = p + 1;
      LeaderLease slow = deferred(reply -> unanswered.add(new Unanswered(reply, epoch)));
      int partition = p;
      four.add(new Leadership(slow, SETTINGS, new Leadership.Listener() {
        @Override
        public void elected(Leadership.Term won) {
          won.recovered();
        }

        @Override
        public void leading(long e) {}

        @Override
        public void deposed(String why, String leaderAddress) {
          deposed.add(partition + ": " + why);
        }
      }, () -> TimeUnit.MILLISECONDS.toNanos(nowMs), thread, shared, p));
    }
    four.forEach(Leadership::tick);
    assertEquals(2, unanswered.size(), "one round sends acquires up to the share, no more");
    unanswered.forEach(u -> u.reply().complete(new LeaseView(true, u.epoch(), "127.0.0.1:1")));
    nowMs = 250;
    four.forEach(Leadership::tick);
    assertEquals(2, shared.held());
    assertEquals(List.of(), deposed, "no partition won only to be given back");
  }

  /**
   * Partitions another node holds, ticked first, do not use up the share every round: their
   * acquires cannot win once their holder is known, so the free partitions ticked after them are
   * acquired on the next round (before, they never were while the others stayed held).
   */
  @Test
  void partitionsHeldElsewhereDoNotStarveFreeOnes() {
    LeaseQuota shared = new LeaseQuota(new Partitions(4));
    shared.liveArbiters(2); // share 2 of 4
    List<java.util.concurrent.CompletableFuture<Void>> unanswered = new ArrayList<>();
    List<Boolean> heldElsewhere = List.of(true, true, false, false);
    List<Leadership> four = new ArrayList<>();
    DirectScheduler thread = new DirectScheduler();
    for (int p = 0; p < 4; p++) {
      int partition = p;
      LeaderLease lease = deferred(reply -> {
        var answered = new java.util.concurrent.CompletableFuture<Void>();
        unanswered.add(answered);
        answered.thenRun(() -> reply.complete(heldElsewhere.get(partition)
            ? new LeaseView(false, 9, NEWCOMER) : new LeaseView(true, partition + 1, "127.0.0.1:1")));
      });
      four.add(new Leadership(lease, SETTINGS, onElected(Leadership.Term::recovered),
          () -> TimeUnit.MILLISECONDS.toNanos(nowMs), thread, shared, p));
    }
    for (int round = 0; round < 3; round++) {
      nowMs = round * 250L;
      four.forEach(Leadership::tick);
      List.copyOf(unanswered).forEach(reply -> reply.complete(null));
      unanswered.clear();
    }
    assertEquals(List.of(LeaderState.STANDBY, LeaderState.STANDBY, LeaderState.LEADING, LeaderState.LEADING),
        four.stream().map(Leadership::state).toList(), "the free partitions are led");
    assertEquals(2, shared.held());
  }

  /**
   * A node whose recovery fails every time (say it cannot read one event) frees the lease and
   * waits before competing again: the other node takes the partition and leads it.
   */
  @Test
  void aNodeWhoseRecoveryFailsLetsAnotherLead() {
    InMemoryLeaderLease.Table partition = table();
    List<String> failing = new ArrayList<>();
    Leadership broken = new Leadership(partition.contender("10.0.0.1:9090", SETTINGS), SETTINGS, onElected(won -> {
      failing.add("elected " + won.epoch() + " at " + nowMs);
      won.failed("event e7 has a field this build cannot read");
    }), () -> TimeUnit.MILLISECONDS.toNanos(nowMs), new DirectScheduler());
    Leadership healthy = new Leadership(partition.contender(NEWCOMER, SETTINGS), SETTINGS,
        onElected(Leadership.Term::recovered), () -> TimeUnit.MILLISECONDS.toNanos(nowMs), new DirectScheduler());
    for (nowMs = 0; nowMs <= 5_000; nowMs += 250) {
      broken.tick(); // first each round: before, it re-won its own lease every time
      healthy.tick();
    }
    assertEquals(LeaderState.LEADING, healthy.state(), "the healthy node leads: " + failing);
    assertEquals(List.of("elected 1 at 0"), failing, "the failing node tried once, then left the lease to the other");
  }

  /** A lease whose acquires are answered when the test says ({@code pending} gets each reply to complete); renewals succeed. */
  private static LeaderLease deferred(java.util.function.Consumer<java.util.concurrent.CompletableFuture<LeaseView>> pending) {
    return new LeaderLease() {
      @Override
      public java.util.concurrent.CompletionStage<LeaseView> tryAcquire(long epochFloor) {
        var reply = new java.util.concurrent.CompletableFuture<LeaseView>();
        pending.accept(reply);
        return reply;
      }

      @Override
      public java.util.concurrent.CompletionStage<Boolean> renew(long heldEpoch) {
        return java.util.concurrent.CompletableFuture.completedFuture(true);
      }

      @Override
      public void release(long heldEpoch) {}

      @Override
      public void close() {}
    };
  }

  /** A listener that does {@code elected} on election and nothing else. */
  private static Leadership.Listener onElected(java.util.function.Consumer<Leadership.Term> elected) {
    return new Leadership.Listener() {
      @Override
      public void elected(Leadership.Term won) {
        elected.accept(won);
      }

      @Override
      public void leading(long epoch) {}

      @Override
      public void deposed(String why, String leaderAddress) {}
    };
  }

  private InMemoryLeaderLease.Table table() {
    return new InMemoryLeaderLease.Table(() -> TimeUnit.MILLISECONDS.toNanos(nowMs));
  }

  private void tickAllAt(long ms) {
    nowMs = ms;
    leaderships.forEach(Leadership::tick);
  }

  private List<LeaderState> states() {
    return leaderships.stream().map(Leadership::state).toList();
  }
}
