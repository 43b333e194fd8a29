package flashsale.store;

import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.DecisionBatch;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Partition;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisServerExtension;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store contract against a real Redis, plus what only the Redis layout promises. */
class RedisArbiterStoreTest extends ArbiterStoreContract {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private RedisClient rawClient;
  private StatefulRedisConnection<String, String> rawConnection;
  private RedisCommands<String, String> raw;

  @Override
  protected ArbiterStore newStore() {
    return new RedisArbiterStore(REDIS.uri());
  }

  @BeforeEach
  void connectRaw() {
    rawClient = RedisClient.create(REDIS.uri());
    rawConnection = rawClient.connect();
    raw = rawConnection.sync();
  }

  @AfterEach
  void closeRaw() {
    rawConnection.close();
    flashsale.store.redis.RedisConnection.shutDown(rawClient);
  }

  @Test
  void regionNodesRecordedByAnEarlierBuildAreWaitedForByEveryPartitionUntilForgotten() throws Exception {
    raw.sadd("fs:region-nodes", "beijing/b1"); // the layout before per-partition records: a set, no epochs
    store.recordRegionNode(new Partition(1, 2), "beijing/b2", 3).get();
    assertEquals(Set.of("beijing/b1"), Set.copyOf(store.regionNodes(new Partition(0, 2))));
    assertEquals(Set.of("beijing/b1", "beijing/b2"), Set.copyOf(store.regionNodes(new Partition(1, 2))));
    store.forgetRegionNode(new Partition(0, 2), "beijing/b1", 1).get();
    assertEquals(List.of(), store.regionNodes(new Partition(0, 2)));
    assertEquals(List.of("beijing/b2"), store.regionNodes(new Partition(1, 2)));
    assertTrue(raw.hget("fs:region-node-records", "1 beijing/b2").startsWith("3 2 "), "epoch, partition count, writer");
  }

  /** Two arbiters on one store (partition leaders, or a leader and its successor) draw on one quota. */
  @Test
  void arbitersOnOneStoreShareAnIdentitysQuota() {
    double perSecond = 1.0 / 60;
    try (RedisArbiterStore other = new RedisArbiterStore(REDIS.uri())) {
      assertEquals(0L, store.takeEventCreation("token:ops", perSecond, 2));
      assertEquals(0L, other.takeEventCreation("token:ops", perSecond, 2));
      assertTrue(store.takeEventCreation("token:ops", perSecond, 2) > 0, "the burst of 2 is spent across both");
      assertTrue(other.takeEventCreation("token:ops", perSecond, 2) > 0);
    }
    assertTrue(raw.pttl(raw.keys("fs:admin-quota:*").get(0)) > 0, "an idle identity's bucket lapses");
  }

  @Test
  void aForgetUnderTheSameEpochFromAnotherWriterLeavesItsRecordStanding() throws Exception {
    // A failover to a replica that missed the epoch's INCR hands the same epoch to two leaders.
    try (RedisArbiterStore other = new RedisArbiterStore(REDIS.uri())) {
      store.recordRegionNode(Partition.ONLY, "beijing/b1", 4).get();
      other.recordRegionNode(Partition.ONLY, "beijing/b1", 4).get();
      store.forgetRegionNode(Partition.ONLY, "beijing/b1", 4).get();
      assertEquals(List.of("beijing/b1"), store.regionNodes(Partition.ONLY), "the other leader recorded it last");
      other.forgetRegionNode(Partition.ONLY, "beijing/b1", 4).get();
      assertEquals(List.of(), store.regionNodes(Partition.ONLY));
    }
  }

  @Test
  void everyKeyIsHashTaggedByItsEventOrSitsInItsEventsSlot() {
    for (String id : List.of("sale-1", "sale:2")) {
      store.createEvent("c-" + id, event(id, 3, 2));
      persist(store, batch(id, 1, 1).win("r1", "u1", 2).lose("r2", "u2", 1, LossReason.LIMIT_EXCEEDED)
          .win("r3", "u3", 1).build());
    }
    Pattern tagged = Pattern.compile("fs:\\{([^}]*)\\}:(meta|decisions|log|users|outbox)");
    Pattern index = Pattern.compile("fs:\\{([^}]*)\\}:(live|events)");
    Set<String> seen = new HashSet<>();
    Set<Integer> indexSlots = new HashSet<>();
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = raw.scan(cursor, ScanArgs.Builder.limit(100));
      for (String key : page.getKeys()) {
        if (key.equals("fs:create-requests")) continue; // looked up by request id, before any event exists
        if (index.matcher(key).matches()) {
          indexSlots.add(SlotHash.getSlot(key));
          continue;
        }
        Matcher m = tagged.matcher(key);
        assertTrue(m.matches() && Set.of("sale-1", "sale:2").contains(m.group(1)), "not hash-tagged by event: " + key);
        seen.add(key);
      }
      cursor = page;
    } while (!cursor.isFinished());
    assertEquals(10, seen.size(), "expected five keys per event, got " + seen);
    assertEquals(Set.of(SlotHash.getSlot("{sale-1}"), SlotHash.getSlot("{sale:2}")), indexSlots,
        "every index key sits in the slot of the events it lists");
    assertEquals(0, raw.exists("fs:events", "fs:live"), "no single index key");
  }

  @Test
  void eventsListedInTheOlderSingleLiveIndexStillLoadAndFinish() {
    store.createEvent("c1", event("old", 3, 2));
    store.createEvent("c2", event("new", 3, 2));
    // The layout before the per-slot indexes: the id sits in fs:live only.
    String oldSlotIndex = "fs:{" + slotTagOf("old") + "}:live";
    assertEquals(1L, raw.srem(oldSlotIndex, "old"));
    raw.sadd("fs:live", "old");

    assertEquals(Set.of("old", "new"), liveIds(store));
    store.finishEvent("old");
    assertEquals(Set.of("new"), liveIds(store));
    assertEquals(0L, raw.scard("fs:live"));
    System.out.println("one server: listing live events (every slot's index) " + listingMs(store));
  }

  @Test
  void anEqualEpochFromAnotherWriterIsFenced() throws Exception {
    try (ArbiterStore other = new RedisArbiterStore(REDIS.uri())) {
      FencingChecks.equalEpochOfAnotherWriterIsFenced(store, other);
    }
  }

  private String slotTagOf(String eventId) {
    for (String key : raw.keys("fs:{*}:live")) {
      if (SlotHash.getSlot(key) == SlotHash.getSlot("{" + eventId + "}") && raw.sismember(key, eventId)) {
        return key.substring(4, key.indexOf('}'));
      }
    }
    throw new AssertionError("no live index holds " + eventId);
  }

  /** Five timed listings after one warm-up, as "min/median/max ms". */
  static String listingMs(ArbiterStore store) {
    store.listLiveEvents();
    long[] ms = new long[5];
    for (int i = 0; i < ms.length; i++) {
      long start = System.nanoTime();
      store.listLiveEvents();
      ms[i] = (System.nanoTime() - start) / 1_000_000;
    }
    java.util.Arrays.sort(ms);
    return ms[0] + "/" + ms[2] + "/" + ms[4] + " ms (min/median/max of 5)";
  }

  static Set<String> liveIds(ArbiterStore store) {
    return store.listLiveEvents().stream().map(e -> e.eventId()).collect(java.util.stream.Collectors.toSet());
  }

  @Test
  void aReusedCreateRequestIdIsRefusedByTheNextLeadersStoreToo() {
    EventSpec first = event("e1", 10, 2);
    store.createEvent("create-1", first);
    try (ArbiterStore next = new RedisArbiterStore(REDIS.uri())) { // another arbiter, after a failover
      assertThrows(RequestIdReusedException.class, () -> next.createEvent("create-1", event("e2", 10, 2)));
      assertThrows(RequestIdReusedException.class, () -> next.createEvent("create-1", event("e1", 99, 2)));
      assertEquals(first, next.createEvent("create-1", first.withTieBreakSeed(7)));
    }
  }

  @Test
  void outboxStreamEntriesCarryTheWinnersFields() {
    store.createEvent("c", event("e1", 10, 5));
    DecisionBatch b =
        batch("e1", 1, 1).lose("r1", "u1", 1, LossReason.LIMIT_EXCEEDED).win("req|2", "user|2", 3).build();
    persist(store, b);

    List<StreamMessage<String, String>> entries = raw.xrange("fs:{e1}:outbox", Range.create("-", "+"));
    assertEquals(1, entries.size());
    var winner = b.decisions().get(1).ticket();
    assertEquals(Map.of("event_id", "e1", "request_id", "req|2", "user_id", "user|2", "quantity", "3", "rank", "2",
        "region", winner.region(), "arrival_micros", Long.toString(winner.stampMicros())), entries.get(0).getBody());
    assertEquals("7", raw.hget("fs:{e1}:meta", "remaining"));
    assertEquals(List.of("r1", "req|2"), raw.lrange("fs:{e1}:log", 0, -1));
  }

  @Test
  void aReservationWinnersOutboxEntryNamesItsSlotAndTheMetaHashItsSlotsLeft() {
    store.createEvent("c", Sales.reservation("t1", new java.util.LinkedHashMap<>(Map.of("18:00", 3L)), 3));
    persist(store, batch("t1", 1, 1).reserve("q1", "u1", 2, List.of("18:00"), "18:00").build());
    var entry = raw.xrange("fs:{t1}:outbox", Range.create("-", "+")).get(0).getBody();
    assertEquals("18:00", entry.get("slot"));
    assertEquals("1", raw.hget("fs:{t1}:meta", "slot_left:18:00"));
    assertEquals("18:00=3", raw.hget("fs:{t1}:meta", "slots"));
  }

  @Test
  void anEventStoredBeforeReservationsLoadsAsAFlashSaleAndSellsOn() {
    // The meta hash exactly as the store wrote it before events had kinds: no slot fields.
    raw.hset("fs:{old}:meta", Map.ofEntries(Map.entry("create_request_id", "c-old"), Map.entry("event_id", "old"),
        Map.entry("item", "shoes"), Map.entry("stock", "5"), Map.entry("start_micros", "0"),
        Map.entry("end_micros", "4000000000000000"), Map.entry("per_user_limit", "2"),
        Map.entry("regions", "beijing,shanghai"), Map.entry("mode", "GLOBAL_ORDER"), Map.entry("tie_break_seed", "7"),
        Map.entry("remaining", "5"), Map.entry("last_rank", "0"), Map.entry("last_batch_sequence", "0")));
    assertEquals(flashsale.sale.EventKind.FLASH_SALE, store.findEvent("old").orElseThrow().kind());
    assertEquals(Map.of(), store.loadHead("old").remainingBySlot());
    persist(store, batch("old", 1, 1).win("r1", "u1", 2).build());
    assertEquals(3, store.loadHead("old").remainingStock());
    assertEquals(null, raw.xrange("fs:{old}:outbox", Range.create("-", "+")).get(0).getBody().get("slot"));
  }

  @Test
  void persistReloadsTheFunctionsWhenTheServerLostThem() {
    store.createEvent("c", event("e1", 10, 5));
    raw.functionFlush(io.lettuce.core.FlushMode.SYNC);
    persist(store, batch("e1", 1, 1).win("r1", "u1", 2).build());
    assertEquals(8, store.loadLedger("e1").remainingStock());
  }

  @Test
  void factoryOpensRedisForAUriAndMemoryForNull() {
    try (ArbiterStore redis = ArbiterStores.open(REDIS.uri()); ArbiterStore memory = ArbiterStores.open(null)) {
      assertInstanceOf(RedisArbiterStore.class, redis);
      assertInstanceOf(InMemoryArbiterStore.class, memory);
      redis.createEvent("c", event("shared", 1, 1));
      assertEquals(List.of("shared"), store.listLiveEvents().stream().map(e -> e.eventId()).toList());
    }
  }

  @Test
  void rejectionWritesNoKeysAtAll() {
    store.createEvent("c", event("e1", 1, 1));
    rejected(store, batch("e1", 1, 1).win("r1", "u1", 1).win("r2", "u2", 1).build());
    List<String> keys = new ArrayList<>(raw.keys("fs:{e1}:*"));
    assertEquals(List.of("fs:{e1}:meta"), keys);
  }
}
