package flashsale.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a node's Redis URI option reads: one server, or a cluster's seeds with shared credentials. */
class RedisTargetTest {
  @Test
  void aPlainUriIsOneServer() {
    RedisTarget t = RedisTarget.parse("redis://127.0.0.1:6379/2");
    assertFalse(t.cluster());
    assertEquals(6379, t.seeds().get(0).getPort());
    assertEquals(2, t.seeds().get(0).getDatabase());
  }

  @Test
  void aClusterUriGivesEverySeedTheCredentialsTlsAndTimeout() {
    RedisTarget t = RedisTarget.parse("rediss-cluster://app:s3cret@h1:7000, h2:7001,h3?timeout=3s");
    assertTrue(t.cluster());
    assertEquals(List.of("h1", "h2", "h3"), t.seeds().stream().map(u -> u.getHost()).toList());
    assertEquals(List.of(7000, 7001, 6379), t.seeds().stream().map(u -> u.getPort()).toList());
    for (var seed : t.seeds()) {
      assertTrue(seed.isSsl());
      assertEquals("app", seed.getUsername());
      assertEquals("s3cret", new String(seed.getPassword()));
      assertEquals(Duration.ofSeconds(3), seed.getTimeout());
    }
    assertEquals("cluster h1:7000,h2:7001,h3:6379", t.describe());
  }

  @Test
  void severalHostsWithoutTheClusterSchemeAreRefusedNotReadAsOneHost() {
    var e = assertThrows(IllegalArgumentException.class, () -> RedisTarget.parse("redis://:pw@h1:7000,h2:7001"));
    assertTrue(e.getMessage().contains("redis-cluster://"), e.getMessage());
    assertFalse(e.getMessage().contains("pw"), "no password in errors: " + e.getMessage());
  }

  @Test
  void aCommaInThePasswordIsNotASecondHost() {
    RedisTarget t = RedisTarget.parse("redis://:pa,ss@h1:7000");
    assertFalse(t.cluster());
    assertEquals("pa,ss", new String(t.seeds().get(0).getPassword()));
    assertEquals("pa,ss", new String(RedisTarget.parse("redis-cluster://:pa,ss@h1:7000,h2:7001").seeds().get(1).getPassword()));
  }

  /** A start-up error goes to the logs: a password that does not parse is never quoted in it. */
  @Test
  void aUriThatDoesNotParseIsNamedWithoutItsPassword() {
    for (String uri : List.of("redis://:pa ss^word@127.0.0.1:6379", "redis-cluster://:pa ss^word@h1:7000,h2:7001",
        "redis://:pa/ss w@rd@127.0.0.1:6379")) {
      var e = assertThrows(IllegalArgumentException.class, () -> RedisTarget.parse(uri));
      assertFalse(e.getMessage().contains("pa ss^word") || e.getMessage().contains("ss w"), e.getMessage());
      assertTrue(e.getMessage().contains("***"), e.getMessage());
    }
  }

  @Test
  void aClusterHasNoOtherDatabaseThanZero() {
    assertThrows(IllegalArgumentException.class, () -> RedisTarget.parse("redis-cluster://h1:7000/3"));
    assertTrue(RedisTarget.parse("redis-cluster://h1:7000/0").cluster());
  }

  @Test
  void everySlotHasItsOwnFixedTag() {
    for (int slot = 0; slot < SlotTags.SLOTS; slot++) assertEquals(slot, SlotTags.slotOf("{" + SlotTags.of(slot) + "}"));
    // Stored keys are named by these tags: they may never change.
    assertEquals("i6o7", SlotTags.of(0));
    assertEquals("i2gd", SlotTags.of(16383));
  }
}
