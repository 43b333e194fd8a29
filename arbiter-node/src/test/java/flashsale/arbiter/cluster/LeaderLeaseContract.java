package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link LeaderLease} must do, whatever keeps it: one holder at a time, named to the
 * others; each acquisition under an epoch above every earlier one and above the caller's floor;
 * renewals and releases count only from the holder under its current epoch; a lease nobody renews
 * for a ttl goes to the next contender. A subclass makes contenders for one shared lease and lets
 * time pass for it ({@link #elapse}) without sleeping: {@link InMemoryLeaderLeaseContractTest},
 * {@link RedisLeaderLeaseTest} and {@link RedisClusterLeaderLeaseTest}.
 */
abstract class LeaderLeaseContract {
  /** Long enough that the real time a test takes never expires a lease by itself. */
  static final LeaseSettings SETTINGS = new LeaseSettings(10_000, 1_000);
  static final long TTL_MS = SETTINGS.ttlMs();
  private static final LeaseView NOBODY = new LeaseView(false, 0, "");

  private final List<LeaderLease> contenders = new ArrayList<>();
  private LeaderLease a;
  private LeaderLease b;

  /** A new contender for the lease under test, as a new process is: it holds nothing yet. */
  abstract LeaderLease newLease(String nodeId, String advertise, LeaseSettings settings);

  /** Lets {@code ms} pass for the lease, as if nobody called it meanwhile. */
  abstract void elapse(long ms);

  @BeforeEach
  void openContenders() {
    a = contender("a");
    b = contender("b");
  }

  @AfterEach
  void closeContenders() {
    contenders.forEach(LeaderLease::close);
  }

  @Test
  void aFreeLeaseIsAcquiredUnderAnEpochAboveTheFloorAndNamesItsHolder() {
    assertEquals(NOBODY, join(a.holder()), "a lease nobody took names nobody");
    LeaseView won = join(a.tryAcquire(7));
    assertTrue(won.mine(), won.toString());
    assertTrue(won.epoch() > 7, "epoch " + won.epoch() + " at floor 7");
    assertEquals(address("a"), won.leaderAddress());
    assertEquals(new LeaseView(false, won.epoch(), address("a")), join(a.holder()), "holder() never says mine");
  }

  @Test
  void whileHeldAnotherContenderIsRefusedAndLearnsTheHolder() {
    long held = acquire(a, 0);
    LeaseView holderSeen = new LeaseView(false, held, address("a"));
    assertEquals(holderSeen, join(b.tryAcquire(0)));
    assertEquals(holderSeen, join(b.tryAcquire(held + 100)), "a high floor does not take a held lease");
    assertEquals(holderSeen, join(b.holder()));
    assertTrue(join(a.renew(held)), "refused attempts leave the holder's term alone");
  }

  @Test
  void ofContendersAcquiringAtOnceExactlyOneWinsAndTheOthersLearnIt() {
    List<CompletableFuture<LeaseView>> replies = IntStream.range(0, 6)
        .mapToObj(i -> contender("n" + i).tryAcquire(0).toCompletableFuture()).toList();
    List<LeaseView> views = replies.stream().map(CompletableFuture::join).toList();
    List<LeaseView> winners = views.stream().filter(LeaseView::mine).toList();
    assertEquals(1, winners.size(), views.toString());
    LeaseView winner = winners.getFirst();
    for (LeaseView v : views) {
      if (v != winner) assertEquals(new LeaseView(false, winner.epoch(), winner.leaderAddress()), v, views.toString());
    }
  }

  @Test
  void onlyTheHolderRenewsAndOnlyUnderItsCurrentEpoch() {
    long held = acquire(a, 0);
    assertTrue(join(a.renew(held)));
    assertFalse(join(a.renew(held + 1)), "an epoch not issued yet");
    assertFalse(join(a.renew(held - 1)), "an earlier epoch");
    assertFalse(join(b.renew(held)), "another contender, even under the holder's epoch");
    assertTrue(join(a.renew(held)), "refused renewals leave the lease with its holder");
  }

  @Test
  void reacquiringItsOwnLeaseTakesANewEpochThatFencesTheLastTerm() {
    long first = acquire(a, 0);
    long second = acquire(a, 0); // as the interface says: "if nobody (or this very process) holds it"
    assertAfter(first, second);
    assertFalse(join(a.renew(first)), "the last term's epoch is superseded");
    assertTrue(join(a.renew(second)));
    assertEquals(new LeaseView(false, second, address("a")), join(b.tryAcquire(0)));
  }

  @Test
  void aNewInstanceWithTheSameNodeIdDoesNotInheritTheLease() {
    long held = acquire(a, 0);
    LeaderLease restarted = contender("a"); // a restarted node must not lead under its previous life's epoch
    assertEquals(new LeaseView(false, held, address("a")), join(restarted.tryAcquire(0)));
    assertFalse(join(restarted.renew(held)));
    assertTrue(join(a.renew(held)));
  }

  @Test
  void afterAReleaseAnotherContenderAcquiresAtOnceUnderAHigherEpoch() {
    long first = acquire(a, 0);
    a.release(first);
    assertEquals(NOBODY, join(b.holder()), "a released lease names nobody");
    long second = acquire(b, 0);
    assertAfter(first, second);
    assertFalse(join(a.renew(first)), "the released term is over");
    join(b.releaseAsync(second));
    long third = acquire(a, 0);
    assertAfter(second, third);
  }

  @Test
  void aReleaseUnderAStaleEpochOrByAnotherContenderKeepsTheLease() {
    long first = acquire(a, 0);
    long second = acquire(a, 0);
    a.release(first); // a late graceful stop of the last term
    b.release(second);
    join(b.releaseAsync(second));
    assertEquals(new LeaseView(false, second, address("a")), join(contender("c").tryAcquire(0)));
    assertTrue(join(a.renew(second)));
  }

  @Test
  void aRenewedLeaseOutlivesItsFirstTtl() {
    long held = acquire(a, 0);
    elapse(TTL_MS * 3 / 5);
    assertTrue(join(a.renew(held)));
    elapse(TTL_MS * 3 / 5); // past the first ttl, within the renewed one
    assertFalse(join(b.tryAcquire(0)).mine(), "taken 0.6 ttl after its renewal");
    assertTrue(join(a.renew(held)));
  }

  @Test
  void anUnrenewedLeaseExpiresAfterItsTtlAndGoesToTheNextContender() {
    long first = acquire(a, 0);
    elapse(TTL_MS);
    assertEquals(NOBODY, join(b.holder()), "an expired lease names nobody");
    // Leadership trusts this: a renewal that succeeds proves the lease never lapsed.
    assertFalse(join(a.renew(first)), "renewed after it expired");
    long second = acquire(b, 0);
    assertAfter(first, second);
    assertFalse(join(a.renew(first)), "the old holder renews after the takeover");
    assertEquals(new LeaseView(false, second, address("b")), join(a.tryAcquire(0)));
  }

  @Test
  void epochsNeverGoBackwardsWhateverTheFloorAndHoweverTermsEnd() {
    long last = 0;
    long[] floors = {0, 50, 3, 0, 51, 1_000, 2, 0};
    for (int i = 0; i < floors.length; i++) {
      LeaderLease who = i % 2 == 0 ? a : b; // the other one's term must have ended
      long epoch = acquire(who, floors[i]);
      assertTrue(epoch > last && epoch > floors[i], "term " + i + ": epoch " + epoch + " after " + last
          + " at floor " + floors[i]);
      last = epoch;
      switch (i % 3) {
        case 0 -> who.release(epoch);
        case 1 -> join(who.releaseAsync(epoch));
        default -> elapse(TTL_MS);
      }
    }
  }

  private LeaderLease contender(String nodeId) {
    LeaderLease lease = newLease(nodeId, address(nodeId), SETTINGS);
    contenders.add(lease);
    return lease;
  }

  private static String address(String nodeId) {
    return nodeId + ".arbiters.test:9090";
  }

  /** Acquires a lease that must be free (or {@code who}'s own) and returns its epoch. */
  private static long acquire(LeaderLease who, long epochFloor) {
    LeaseView won = join(who.tryAcquire(epochFloor));
    assertTrue(won.mine(), "refused: " + won);
    return won.epoch();
  }

  private static void assertAfter(long earlierEpoch, long laterEpoch) {
    assertTrue(laterEpoch > earlierEpoch, "epoch " + laterEpoch + " after " + earlierEpoch);
  }

  private static <T> T join(CompletionStage<T> reply) {
    return reply.toCompletableFuture().join();
  }
}
