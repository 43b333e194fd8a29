package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Leadership} on a fake monotonic clock, ticked by hand, against a lease whose replies the
 * test gives (late, failed, "not yours"): a leader keeps its lease through one slow or failed
 * renewal and steps down only when the lease is really lost.
 */
class LeadershipTest {
  static final LeaseSettings SETTINGS = new LeaseSettings(1_000, 250);

  private long nowMs;
  private final ScriptedLease lease = new ScriptedLease();
  private final List<String> events = new ArrayList<>();
  private Leadership.Term term;
  private Leadership leadership;

  @BeforeEach
  void start() {
    leadership = new Leadership(lease, SETTINGS, new Leadership.Listener() {
      @Override
      public void elected(Leadership.Term won) {
        term = won;
        events.add("elected " + won.epoch() + " at " + nowMs);
      }

      @Override
      public void leading(long epoch) {
        events.add("leading " + epoch + " at " + nowMs);
      }

      @Override
      public void deposed(String why, String leaderAddress) {
        events.add("deposed at " + nowMs + ": " + why);
      }
    }, () -> TimeUnit.MILLISECONDS.toNanos(nowMs), new DirectScheduler());
  }

  @Test
  void electedThenRecoveringUntilTheTermReportsRecovered() {
    tickAt(0);
    assertEquals(LeaderState.STANDBY, leadership.state(), "acquire still in flight");
    assertFalse(leadership.holdsLease());
    lease.replyAcquire(true, 7);
    assertEquals(LeaderState.RECOVERING, leadership.state());
    // Its gate then says "rebuilding; retry shortly", not "a standby, the leader is" itself.
    assertTrue(leadership.holdsLease(), "a recovering node holds the lease");
    assertEquals(7, leadership.epoch());
    term.recovered();
    assertEquals(LeaderState.LEADING, leadership.state());
    assertEquals(List.of("elected 7 at 0", "leading 7 at 0"), events);
  }

  @Test
  void aRenewalSlowOnceButBelowTheTtlKeepsTheLease() {
    lead();
    tickAt(250); // this renewal's reply takes 800 ms
    for (long t = 500; t <= 1_000; t += 250) tickAt(t); // a strict "ttl since the last success" would end at 1000
    assertEquals(LeaderState.LEADING, leadership.state(), "waits for the renewal in flight");
    assertEquals(1, lease.renewals, "no renewal stacked behind the slow one");
    nowMs = 1_050;
    lease.replyRenew(true);
    assertEquals(2, lease.renewals, "a late reply is followed by a renewal at once");
    lease.replyRenew(true);
    for (long t = 1_250; t <= 5_000; t += 250) {
      tickAt(t);
      lease.replyRenew(true);
    }
    assertEquals(LeaderState.LEADING, leadership.state());
    assertEquals(List.of("elected 1 at 0", "leading 1 at 0"), events);
  }

  @Test
  void failedRenewalsAreRetriedWithinTheTtl() {
    lead();
    tickAt(250);
    lease.failRenew();
    tickAt(500);
    lease.failRenew();
    tickAt(750);
    lease.failRenew();
    tickAt(999);
    lease.replyRenew(true);
    tickAt(1_249);
    lease.replyRenew(true);
    assertEquals(LeaderState.LEADING, leadership.state());
    assertEquals(2, events.size(), events.toString());
  }

  @Test
  void noSuccessfulRenewalForAWholeTtlStepsDownAndNotBefore() {
    lead();
    for (long t = 250; t < 1_000; t += 250) {
      tickAt(t);
      lease.failRenew();
    }
    assertEquals(LeaderState.LEADING, leadership.state(), "at 750 ms the lease may still be ours");
    tickAt(1_000);
    assertEquals(LeaderState.STANDBY, leadership.state());
    assertTrue(events.get(2).startsWith("deposed at 1000: no successful renewal for 1000 ms"), events.toString());
  }

  @Test
  void aHungRenewalEndsTheTermATtlAfterItBegan() {
    lead();
    tickAt(250); // never answered
    for (long t = 500; t < 1_250; t += 250) tickAt(t);
    assertEquals(LeaderState.LEADING, leadership.state());
    tickAt(1_250);
    assertEquals(LeaderState.STANDBY, leadership.state());
    nowMs = 1_300;
    lease.replyRenew(true); // too late: the ended term's reply is ignored
    assertEquals(LeaderState.STANDBY, leadership.state());
  }

  @Test
  void aLeaderPausedPastItsLeaseNoLongerHoldsItBeforeItsThreadRunsAgain() {
    lead();
    tickAt(250);
    lease.replyRenew(true);
    nowMs = 1_100;
    assertTrue(leadership.holdsLease());
    nowMs = 1_250; // woken from a pause; no tick yet
    assertEquals(LeaderState.LEADING, leadership.state());
    assertTrue(!leadership.holdsLease(), "a lease last renewed a ttl ago may be someone else's");
  }

  @Test
  void aRenewalAnsweredNotYoursStepsDownAtOnce() {
    lead();
    tickAt(250);
    lease.replyRenew(false);
    assertEquals(LeaderState.STANDBY, leadership.state());
    assertTrue(events.get(2).contains("no longer ours"), events.toString());
  }

  @Test
  void aFencedWriteOfTheTermStepsDownAndOneOfAnEarlierTermDoesNot() {
    lead();
    leadership.fenced(0, "an older term's batch");
    assertEquals(LeaderState.LEADING, leadership.state());
    leadership.fenced(1, "this term's batch");
    assertEquals(LeaderState.STANDBY, leadership.state());
  }

  @Test
  void aRecoveryReportedAfterTheTermEndedDoesNotLead() {
    tickAt(0);
    lease.replyAcquire(true, 1);
    Leadership.Term first = term;
    tickAt(250);
    lease.replyRenew(false);
    first.recovered();
    assertEquals(LeaderState.STANDBY, leadership.state());
    tickAt(500);
    lease.replyAcquire(true, 2);
    first.recovered(); // the old term again: still recovering the new one
    assertEquals(LeaderState.RECOVERING, leadership.state());
    term.failed("store unreachable");
    assertEquals(LeaderState.STANDBY, leadership.state());
  }

  @Test
  void aRecoveryFencedByAnEqualOrHigherEpochStepsDownAndTheNextAcquireGoesAboveIt() {
    tickAt(0);
    assertEquals(0, lease.floors.getLast(), "no floor before any epoch was seen");
    lease.replyAcquire(true, 5); // the counter went back in a failover: another leader holds 5 already
    term.fencedBy(5, "epoch 5 equals fencing epoch 5 of event e1, claimed by another writer");
    assertEquals(LeaderState.STANDBY, leadership.state());
    tickAt(250);
    assertEquals(5, lease.floors.getLast(), "the next epoch must be above the one that fenced us");
    lease.replyAcquire(true, 6);
    term.fencedBy(3, "a lower epoch never lowers the floor");
    tickAt(500);
    assertEquals(5, lease.floors.getLast());
  }

  @Test
  void aStandbyNamesTheHolderAndTriesAgainEachInterval() {
    tickAt(0);
    lease.replyAcquireOther(3, "10.0.0.9:9090");
    assertEquals("10.0.0.9:9090", leadership.leaderAddress());
    tickAt(250);
    assertEquals(2, lease.acquires);
    assertEquals(LeaderState.STANDBY, leadership.state());
  }

  private void lead() {
    tickAt(0);
    lease.replyAcquire(true, 1);
    term.recovered();
    assertEquals(LeaderState.LEADING, leadership.state());
  }

  private void tickAt(long ms) {
    nowMs = ms;
    leadership.tick();
  }

  /** Lease calls whose replies wait until the test gives them, oldest first. */
  private static final class ScriptedLease implements LeaderLease {
    final ArrayDeque<CompletableFuture<LeaseView>> acquireReplies = new ArrayDeque<>();
    final ArrayDeque<CompletableFuture<Boolean>> renewReplies = new ArrayDeque<>();
    final List<Long> floors = new ArrayList<>();
    int acquires;
    int renewals;

    @Override
    public CompletionStage<LeaseView> tryAcquire(long epochFloor) {
      acquires++;
      floors.add(epochFloor);
      var reply = new CompletableFuture<LeaseView>();
      acquireReplies.add(reply);
      return reply;
    }

    @Override
    public CompletionStage<Boolean> renew(long epoch) {
      renewals++;
      var reply = new CompletableFuture<Boolean>();
      renewReplies.add(reply);
      return reply;
    }

    void replyAcquire(boolean mine, long epoch) {
      acquireReplies.remove().complete(new LeaseView(mine, epoch, "127.0.0.1:1"));
    }

    void replyAcquireOther(long epoch, String holder) {
      acquireReplies.remove().complete(new LeaseView(false, epoch, holder));
    }

    void replyRenew(boolean mine) {
      renewReplies.remove().complete(mine);
    }

    void failRenew() {
      renewReplies.remove().completeExceptionally(new IllegalStateException("Redis timed out"));
    }

    @Override
    public void release(long epoch) {}

    @Override
    public void close() {}
  }
}
