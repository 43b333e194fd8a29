package flashsale.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
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

  @Test
  void aBuyerWhoBoughtOnceIsForgottenOnceThatTokenIsBack() {
    TokenBuckets buckets = new TokenBuckets(10, 2, 1000); // one token back every 100 ms
    buckets.take("once", SECOND);
    buckets.take("twice", SECOND);
    buckets.take("twice", SECOND);
    buckets.take("probe", SECOND + 150_000);
    // "once" was full again at +100 ms (+10 ms grace); "twice" needs 200 ms, so it is still held.
    assertEquals(2, buckets.keys());
  }

  @Test
  void droppingFullBucketsNeverChangesAnAnswer() {
    // Against a model that keeps every bucket forever: the same answer to every take, with times
    // that sometimes step back by less than the grace (as stamps from two reading threads may).
    double perSecond = 10;
    int burst = 3;
    TokenBuckets buckets = new TokenBuckets(perSecond, burst, 1_000_000);
    Map<String, double[]> model = new HashMap<>(); // key -> {tokens, lastMicros}
    Random random = new Random(42);
    long now = SECOND;
    for (int i = 0; i < 200_000; i++) {
      now += random.nextInt(10) == 0 ? -random.nextInt(5_000) : random.nextInt(150_000);
      String key = "user-" + random.nextInt(5);
      long at = now;
      double[] m = model.computeIfAbsent(key, k -> new double[] {burst, at});
      if (at > m[1]) {
        m[0] = Math.min(burst, m[0] + (at - m[1]) * (perSecond / 1e6));
        m[1] = at;
      }
      long expected;
      if (m[0] >= 1) {
        m[0] -= 1;
        expected = 0;
      } else {
        expected = Math.max(1, (long) Math.ceil((1 - m[0]) / (perSecond / 1e6)));
      }
      assertEquals(expected, buckets.take(key, at), "take " + i + " of " + key + " at " + at);
    }
  }
}
