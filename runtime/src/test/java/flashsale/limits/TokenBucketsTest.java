package flashsale.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketsTest {
  private static final long SECOND = 1_000_000;

  @Test
  void aBurstIsAdmittedThenOneTokenPerIntervalWithTheWaitSaid() {
    TokenBuckets buckets = new TokenBuckets(10, 3, 100); // one token per 100 ms
    long t = 5 * SECOND;
    for (int i = 0; i < 3; i++) assertEquals(0, buckets.take("alice", t), "burst token " + i);
    assertEquals(100_000, buckets.take("alice", t));
    assertEquals(40_000, buckets.take("alice", t + 60_000), "60 ms in: 40 ms to go, nothing taken");
    assertEquals(0, buckets.take("alice", t + 100_000));
    assertEquals(0, buckets.take("bob", t), "another key has its own bucket");
  }

  @Test
  void anIdleBucketRefillsOnlyUpToTheBurst() {
    TokenBuckets buckets = new TokenBuckets(1000, 2, 100);
    for (int i = 0; i < 2; i++) buckets.take("k", 0);
    long later = 3600 * SECOND;
    assertEquals(0, buckets.take("k", later));
    assertEquals(0, buckets.take("k", later));
    assertTrue(buckets.take("k", later) > 0, "refilled to the burst, not to an hour's worth");
  }

  @Test
  void timeGoingBackwardsRefillsNothing() {
    TokenBuckets buckets = new TokenBuckets(10, 1, 100);
    assertEquals(0, buckets.take("k", 10 * SECOND));
    assertTrue(buckets.take("k", 9 * SECOND) > 0);
  }

  @Test
  void aMillionKeysKeepAtMostTheConfiguredNumberOfBuckets() {
    TokenBuckets buckets = new TokenBuckets(1, 5, 10_000);
    for (int i = 0; i < 1_000_000; i++) buckets.take("user-" + i, SECOND + i);
    assertTrue(buckets.keys() <= 10_000, "kept " + buckets.keys());
  }

  @Test
  void bucketsThatHaveRefilledAreDropped() {
    TokenBuckets buckets = new TokenBuckets(10, 2, 1000); // full again 200 ms after its last take
    for (int i = 0; i < 500; i++) buckets.take("user-" + i, SECOND);
    assertEquals(500, buckets.keys());
    buckets.take("late", SECOND + 300_000);
    assertEquals(1, buckets.keys());
  }
}
