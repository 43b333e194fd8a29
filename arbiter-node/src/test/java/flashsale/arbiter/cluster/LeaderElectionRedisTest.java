package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.ArbiterStore;
import flashsale.store.Sales;
import flashsale.store.StoreFencedException;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisServer;
import flashsale.store.redis.RedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The leader election on a real redis-server: {@link RedisLeaderLease}'s epoch counter against the
 * floor (its other rules: {@link RedisLeaderLeaseTest}) and two {@link Leadership} contenders (one
 * leads; when it stops renewing or its lease is deleted the other takes over under a higher epoch,
 * and the store fences the deposed leader's writes). {@code LeaderElectionRedisClusterTest} runs
 * the same on a cluster.
 */
class LeaderElectionRedisTest {
  static final LeaseSettings SETTINGS = new LeaseSettings(1_000, 200); // a stalled renewal of 1 s on a busy CI host, not 400 ms, ends a term
  /** Room for thread scheduling on a loaded CI host; the bound under test is ttl + renew. */
  static final long SLACK_MS = 3_000;

  /** The URI of the store under test: a subclass may point at a cluster. */
  static Supplier<String> redis;
  private static RedisServer server;
  private Contender a;
  private Contender b;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start();
    redis = server::uri;
  }

  @AfterAll
  static void stopRedis() {
    server.close();
  }

  @BeforeEach
  void clean() {
    server.flushAll();
  }

  @AfterEach
  void stopContenders() {
    for (Contender c : new Contender[] {a, b}) if (c != null) c.close();
  }

  @Test
  void theStandbyTakesOverWithinTtlPlusRenewOnceTheLeaderStopsRenewing() throws Exception {
    a = new Contender(redis.get(), "a", SETTINGS).start();
    b = new Contender(redis.get(), "b", SETTINGS).start();
    Contender leader = awaitOneLeader();
    Contender standby = leader == a ? b : a;
    long firstEpoch = leader.epoch();
    awaitLeaderAddress(standby, leader.address);

    long frozenNanos = System.nanoTime();
    leader.freeze(); // its renewals hang: no reply, so it steps down a ttl after the last one began
    long secondEpoch = standby.awaitElected(SETTINGS.ttlMs() + SETTINGS.renewIntervalMs() + SLACK_MS);
    long takeoverMs = (System.nanoTime() - frozenNanos) / 1_000_000;
    assertTrue(secondEpoch > firstEpoch, secondEpoch + " after " + firstEpoch);
    // The lease was last renewed at most one interval before the freeze, so it lived at least ttl - renew.
    assertTrue(takeoverMs >= SETTINGS.ttlMs() - SETTINGS.renewIntervalMs(),
        "standby took a lease that had not expired: " + takeoverMs + " ms after the leader's last chance to renew");
    System.out.printf("lease takeover after the leader stopped renewing: %d ms (ttl %d ms, renew %d ms)%n",
        takeoverMs, SETTINGS.ttlMs(), SETTINGS.renewIntervalMs());

    leader.elections.clear();
    leader.thaw();
    assertTrue(leader.depositions.poll(SLACK_MS, TimeUnit.MILLISECONDS) != null, "the paused leader must step down");
    assertEquals(0, leader.epoch());
    assertNull(leader.elections.poll(3 * SETTINGS.ttlMs(), TimeUnit.MILLISECONDS), "re-elected while the other leads");
    assertEquals(secondEpoch, standby.epoch(), "the new leader keeps renewing");
  }

  @Test
  void aDeletedLeaseDeposesTheLeaderAndTheNextTermHasAHigherEpoch() throws Exception {
    a = new Contender(redis.get(), "a", SETTINGS).start();
    b = new Contender(redis.get(), "b", SETTINGS).start();
    Contender leader = awaitOneLeader();
    long firstEpoch = leader.epoch();
    deleteLease();
    assertTrue(leader.depositions.poll(SETTINGS.ttlMs() + SLACK_MS, TimeUnit.MILLISECONDS) != null,
        "a leader whose lease is gone must step down at its next renewal");
    long next = awaitOneLeader().epoch();
    assertTrue(next > firstEpoch, next + " after " + firstEpoch);
  }

  @Test
  void aDeposedLeadersWriteUnderItsOldEpochIsFencedByTheStore() throws Exception {
    a = new Contender(redis.get(), "a", SETTINGS).start();
    b = new Contender(redis.get(), "b", SETTINGS).start();
    try (ArbiterStore store = new RedisArbiterStore(redis.get())) {
      store.createEvent("create-fenced", Sales.event("fenced", 5, 1));
      Contender leader = awaitOneLeader();
      Contender standby = leader == a ? b : a;
      long oldEpoch = leader.epoch();
      store.fenceEvent("fenced", oldEpoch); // what LeaderRole does on election
      store.persistBatch(Sales.batch("fenced", 1, 1).win("r1", "u1", 1).build(), oldEpoch).get(5, TimeUnit.SECONDS);

      leader.freeze();
      long newEpoch = standby.awaitElected(SETTINGS.ttlMs() + SETTINGS.renewIntervalMs() + SLACK_MS);
      store.fenceEvent("fenced", newEpoch);
      var stale = Sales.batch("fenced", 2, 2).win("r2", "u2", 1).build();
      var refused = assertThrows(ExecutionException.class, () -> store.persistBatch(stale, oldEpoch).get(5, TimeUnit.SECONDS));
      assertInstanceOf(StoreFencedException.class, refused.getCause());
      assertEquals(List.of("r1"), store.loadLedger("fenced").decisions().stream().map(d -> d.requestId()).toList());
      assertEquals(4, store.loadLedger("fenced").remainingStock(), "the fenced batch must write nothing");

      store.persistBatch(Sales.batch("fenced", 2, 2).win("r3", "u3", 1).build(), newEpoch).get(5, TimeUnit.SECONDS);
      assertEquals(3, store.loadLedger("fenced").remainingStock());
      leader.thaw();
      assertTrue(leader.depositions.poll(SLACK_MS, TimeUnit.MILLISECONDS) != null, "the deposed leader must step down");
    }
  }

  /**
   * Waits until a contender leads and returns it. Two may briefly both believe they lead (the old
   * one until its next renewal fails); the store's fencing, not this view, keeps that safe.
   */
  private Contender awaitOneLeader() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTINGS.ttlMs() + SLACK_MS);
    while (System.nanoTime() < deadline) {
      if (a.epoch() != 0) return a;
      if (b.epoch() != 0) return b;
      Thread.sleep(10);
    }
    throw new AssertionError("nobody leads after " + (SETTINGS.ttlMs() + SLACK_MS) + " ms");
  }

  private static void awaitLeaderAddress(Contender standby, String expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SLACK_MS);
    while (!standby.leadership.leaderAddress().equals(expected) && System.nanoTime() < deadline) Thread.sleep(10);
    assertEquals(expected, standby.leadership.leaderAddress(), "a standby names the leader");
  }

  private static <T> T join(java.util.concurrent.CompletionStage<T> reply) {
    return reply.toCompletableFuture().join();
  }

  @Test
  void anAcquireNeverIssuesAnEpochAtOrBelowTheFloor() {
    try (var lease = new RedisLeaderLease(redis.get(), "a", "10.0.0.1:1", SETTINGS)) {
      long first = join(lease.tryAcquire(0)).epoch();
      long aboveFloor = join(lease.tryAcquire(first + 40)).epoch();
      assertEquals(first + 41, aboveFloor, "a counter behind the floor (rolled back by a failover) jumps past it");
      assertEquals(aboveFloor + 1, join(lease.tryAcquire(3)).epoch(), "a low floor changes nothing");
    }
  }

  private static void deleteLease() {
    try (var c = RedisConnection.open(redis.get(), StringCodec.UTF8, null, false)) {
      assertEquals(1L, c.async().del(RedisLeaderLease.LEASE_KEY).toCompletableFuture().join());
    }
  }
}
