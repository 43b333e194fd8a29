package flashsale.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.store.ReplicaAcks;
import flashsale.store.modes.RedisPoolStore;
import flashsale.store.testing.RedisServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A connection's command timeout: the URI's {@code ?timeout=} for the arbiter's store and a
 * region's pool store alike, a store's own default when the URI names none, and never below two
 * replica waits (a WAIT timed out at the client still blocks its connection at the server).
 */
class CommandTimeoutTest {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();
  private static final ReplicaAcks ONE_REPLICA_1S = new ReplicaAcks(1, Duration.ofSeconds(1));
  private static final Duration POOL_DEFAULT = Duration.ofSeconds(2);

  private static Duration timeout(String uri, ReplicaAcks acks, Duration whenUnset) {
    return RedisConnection.commandTimeout(RedisTarget.parse(uri), acks, whenUnset);
  }

  @Test
  void theUrisTimeoutIsTakenByEitherStore() {
    assertEquals(Duration.ofSeconds(5), timeout("redis://h:6379?timeout=5s", ReplicaAcks.NONE, POOL_DEFAULT));
    assertEquals(Duration.ofMillis(300), timeout("redis://h:6379?timeout=300ms", ReplicaAcks.NONE, POOL_DEFAULT));
    assertEquals(Duration.ofSeconds(5), timeout("redis://h:6379?timeout=5s", ReplicaAcks.NONE, null));
  }

  @Test
  void withoutOneEachStoreHasItsDefault() {
    assertEquals(POOL_DEFAULT, timeout("redis://h:6379", ReplicaAcks.NONE, POOL_DEFAULT));
    assertEquals(Duration.ofSeconds(60), timeout("redis://h:6379", ReplicaAcks.NONE, null), "lettuce's own");
  }

  @Test
  void neverBelowTwoReplicaWaits() {
    assertEquals(Duration.ofSeconds(2), timeout("redis://h:6379?timeout=100ms", ONE_REPLICA_1S, null));
    assertEquals(Duration.ofSeconds(2), timeout("redis://h:6379?timeout=100ms", ONE_REPLICA_1S, POOL_DEFAULT));
    assertEquals(Duration.ofSeconds(6), timeout("redis://h:6379", new ReplicaAcks(1, Duration.ofSeconds(3)), POOL_DEFAULT));
    assertEquals(Duration.ofSeconds(9), timeout("redis-cluster://h:7000,h:7001?timeout=9s", ONE_REPLICA_1S, null));
  }

  /** What each store's connection really runs with, against a real Redis. */
  @Test
  void eachStoreRunsWithIt() {
    String shortTimeout = REDIS.uri() + "?timeout=100ms";
    try (var arbiter = new RedisArbiterStore(shortTimeout, ONE_REPLICA_1S);
        var pool = new RedisPoolStore(shortTimeout, ONE_REPLICA_1S);
        var poolWithUrisTimeout = new RedisPoolStore(REDIS.uri() + "?timeout=5s");
        var poolWithout = new RedisPoolStore(REDIS.uri())) {
      assertEquals(Duration.ofSeconds(2), arbiter.commandTimeout(), "raised to two replica waits");
      assertEquals(java.util.Optional.of(Duration.ofSeconds(2)), pool.commandTimeout());
      assertEquals(java.util.Optional.of(Duration.ofSeconds(5)), poolWithUrisTimeout.commandTimeout(), "the URI's");
      assertEquals(java.util.Optional.of(POOL_DEFAULT), poolWithout.commandTimeout());
    }
  }
}
