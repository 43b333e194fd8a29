package flashsale.store;

import static flashsale.store.Sales.START_MICROS;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.OrderWrite;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.modes.RedisPoolStore;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.redis.RedisOrderStore;
import flashsale.store.testing.RedisServerExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A finished event leaves nothing in Redis once its retention has passed, or Redis would grow with
 * every sale (every loser's decision is stored) until it refuses writes: its decisions, log, users,
 * outbox, orders, waitlist and, on the same Redis, its CENTRAL pool all expire; a live event's keys
 * and a finished event's under a store that keeps them stay.
 */
class RedisFinishedEventRetentionTest {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();
  private static final Duration RETENTION = Duration.ofMillis(500);

  private RedisClient client;
  private StatefulRedisConnection<String, String> raw;

  @BeforeEach
  void connect() {
    client = RedisClient.create(REDIS.uri());
    raw = client.connect();
  }

  @AfterEach
  void disconnect() {
    raw.close();
    client.shutdown();
  }

  @Test
  void aFinishedEventsKeysExpireAfterTheRetentionAndNothingElses() throws Exception {
    try (RedisArbiterStore store = new RedisArbiterStore(REDIS.uri(), ReplicaAcks.NONE, RETENTION);
        RedisPoolStore pools = new RedisPoolStore(REDIS.uri())) {
      fill(store, pools, "gone");
      fill(store, pools, "live");
      Set<String> before = keysOf("gone");
      assertTrue(before.size() >= 9, "the sale wrote its decisions, orders, waitlist and pool: " + before);

      store.finishEvent("gone");
      assertEquals(before, keysOf("gone"), "kept through the retention: a retry is still answered");
      Thread.sleep(RETENTION.toMillis() / 2);
      store.finishEvent("gone"); // again (a leader died before it left the live index): the first expiry stays
      long pttlMs = raw.sync().pttl(before.iterator().next());
      assertTrue(pttlMs > 0 && pttlMs <= RETENTION.toMillis() / 2 + 100, "retention counts from the first finish: " + pttlMs);
      assertTrue(store.findDecision("gone", "w1").isPresent());

      Thread.sleep(RETENTION.toMillis() + 500);
      assertEquals(Set.of(), keysOf("gone"), "a finished event's keys after its retention");
      assertEquals(before.size(), keysOf("live").size(), "a live event keeps all of its keys");
      assertTrue(keysOf("live").stream().allMatch(key -> raw.sync().ttl(key) == -1), "and none of them expires");
      assertTrue(store.listLiveEvents(id -> true).stream().noneMatch(spec -> spec.eventId().equals("gone")));

      // Its id is never a new event: its decisions and lottery audit were that id's, and a retry
      // of its create must not make it twice. Nothing of a refused create is written.
      var refused = assertThrows(EventExistsException.class, () -> store.createEvent("create-gone-again", event("gone", 2, 1)));
      assertTrue(refused.expired(), "told apart from an id another request created: " + refused.getMessage());
      assertThrows(EventExistsException.class, () -> new RedisOrderStore(store)
          .createEventWithTerms("create-gone", event("gone", 2, 1), new OrderTerms(60_000_000L, 4)));
      assertEquals(Set.of(), keysOf("gone"));
      // The retry of the original create, refused, did not free its request id for another event.
      assertThrows(RequestIdReusedException.class, () -> store.createEvent("create-gone", event("gone-2", 2, 1)));
      assertThrows(RequestIdReusedException.class, () -> new RedisOrderStore(store)
          .createEventWithTerms("create-gone", event("gone-3", 2, 1), new OrderTerms(60_000_000L, 4)));
    }
  }

  /**
   * A request that bound an event id and crashed before creating it, whose event another request
   * then created: its retry is refused EXISTS and its id is free again for another event.
   */
  @Test
  void aRequestThatCreatedNothingIsFreedWhenItsEventExists() throws Exception {
    try (RedisArbiterStore store = new RedisArbiterStore(REDIS.uri(), ReplicaAcks.NONE, RETENTION)) {
      raw.sync().hset("fs:create-requests", "crashed", "taken"); // bound, then the crash
      store.createEvent("other", event("taken", 2, 1));
      assertThrows(EventExistsException.class, () -> store.createEvent("crashed", event("taken", 2, 1)));
      assertEquals("taken-2", store.createEvent("crashed", event("taken-2", 2, 1)).eventId());
    }
  }

  /** Redis 7 frees expired keys on its main thread unless told otherwise: the store can tell which. */
  @Test
  void theStoreTellsWhetherRedisFreesExpiredKeysOnItsMainThread() throws Exception {
    try (RedisArbiterStore store = new RedisArbiterStore(REDIS.uri(), ReplicaAcks.NONE, RETENTION)) {
      String before = raw.sync().configGet("lazyfree-lazy-expire").get("lazyfree-lazy-expire");
      try {
        raw.sync().configSet("lazyfree-lazy-expire", "no");
        assertTrue(store.freesExpiredKeysInline());
        raw.sync().configSet("lazyfree-lazy-expire", "yes");
        assertEquals(false, store.freesExpiredKeysInline());
      } finally {
        raw.sync().configSet("lazyfree-lazy-expire", before);
      }
    }
  }

  @Test
  void aStoreWithoutRetentionKeepsAFinishedEventForGood() throws Exception {
    try (RedisArbiterStore store = new RedisArbiterStore(REDIS.uri(), ReplicaAcks.NONE, Duration.ZERO);
        RedisPoolStore pools = new RedisPoolStore(REDIS.uri())) {
      fill(store, pools, "kept");
      Set<String> before = keysOf("kept");
      store.finishEvent("kept");
      assertEquals(before, keysOf("kept"));
      assertTrue(before.stream().allMatch(key -> raw.sync().ttl(key) == -1), "no expiry set");
    }
  }

  /** A GLOBAL_ORDER sale with a payment window (wins, a waitlisted loser) and a CENTRAL sale under {@code <id>-c}. */
  private void fill(RedisArbiterStore store, RedisPoolStore pools, String eventId) {
    RedisOrderStore orders = new RedisOrderStore(store);
    orders.createEventWithTerms("create-" + eventId, event(eventId, 2, 1), new OrderTerms(60_000_000L, 4));
    store.persistBatch(Sales.batch(eventId, 1, 1).win("w1", "u1", 1).win("w2", "u2", 1)
        .lose("l1", "u3", 1, flashsale.sale.LossReason.SOLD_OUT).build(), ArbiterStore.UNFENCED).join();
    long deadline = START_MICROS + 60_000_000L;
    orders.persistOrders(new OrderWrite(eventId, 1, 4, List.of(
        new OrderTransition(Kind.ENROLLED_WIN, "w1", "u1", 1, 1, deadline, 0),
        new OrderTransition(Kind.ENROLLED_WIN, "w2", "u2", 1, 2, deadline, 0),
        new OrderTransition(Kind.WAITLISTED, "l1", "u3", 1, 3, 0, 0))), ArbiterStore.UNFENCED).join();
    // The CENTRAL pool's keys carry the event's tag: a CENTRAL event of the same id.
    EventSpec central = new EventSpec(eventId, "hats", 1, START_MICROS, START_MICROS + 3_600_000_000L, 1,
        List.of("beijing"), SaleMode.CENTRAL, 0);
    pools.openCentral(central).join();
    pools.buyCentral(central, new Ticket(eventId, "c1", "u9", 1, "beijing", START_MICROS + 1)).join();
  }

  private Set<String> keysOf(String eventId) {
    return new TreeSet<>(raw.sync().keys("fs:{" + eventId + "}:*"));
  }
}
