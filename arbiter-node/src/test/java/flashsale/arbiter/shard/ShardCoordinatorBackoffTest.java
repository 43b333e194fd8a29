package flashsale.arbiter.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.ShardBackend;
import flashsale.shard.ShardSnapshot;
import flashsale.shard.ShardDemand;
import flashsale.store.memory.InMemoryShardStore;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Every store call waits on the coordinator's one thread, so a region's store that fails is left
 * alone for a while: the events it holds a shard of fail fast, and the others go on.
 */
class ShardCoordinatorBackoffTest {
  static final long START = 1_767_225_600_000_000L;
  static final EventSpec WITH_C = spec("with-c", List.of("a", "b", "c"), Map.of("a", 0L, "b", 3L, "c", 3L));
  static final EventSpec WITHOUT_C = spec("without-c", List.of("a", "b"), Map.of("a", 0L, "b", 6L));

  static EventSpec spec(String id, List<String> regions, Map<String, Long> units) {
    return new EventSpec(id, "shoes", 6, START, START + 3_600_000_000L, 2, regions, SaleMode.SHARDED, 7, units);
  }

  @Test
  void aFailingStoreIsLeftAloneAndEventsWithoutItGoOn() throws Exception {
    AtomicInteger callsToC = new AtomicInteger();
    ShardOptions options = new ShardOptions(Map.of(), 3_600_000, 200, 60_000, b -> b.region().equals("c") ? new Failing(b, callsToC) : b);
    var stores = Map.of("a", new InMemoryShardStore(), "b", new InMemoryShardStore(), "c", new InMemoryShardStore());
    Map<String, EventSpec> events = Map.of(WITH_C.eventId(), WITH_C, WITHOUT_C.eventId(), WITHOUT_C);
    try (var coordinator = new ShardCoordinator(options, stores, id -> Optional.ofNullable(events.get(id)), Clock.systemUTC())) {
      assertEquals(Optional.empty(), coordinator.report("with-c", new ShardDemand("a", 0, 1, 0)).get(10, TimeUnit.SECONDS),
          "c did not answer: no account");
      assertEquals(1, callsToC.get());

      coordinator.report("with-c", new ShardDemand("a", 0, 1, 0)).get(10, TimeUnit.SECONDS);
      assertEquals(1, callsToC.get(), "c is not asked again at once");
      var other = coordinator.report("without-c", new ShardDemand("a", 0, 1, 0)).get(10, TimeUnit.SECONDS);
      assertTrue(other.isPresent(), "an event without a shard at c is rebalanced");
      assertEquals(1, stores.get("a").shard(WITHOUT_C, "a").snapshot().remainingUnits(), "a got the unit it waits for");
    }
  }

  @Test
  void whileAStoreIsLeftAloneItsEventsFailedRoundsAreLoggedOnceNotEveryTick() throws Exception {
    var seen = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    seen.start();
    var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ShardCoordinator.class);
    logger.addAppender(seen);
    AtomicInteger callsToC = new AtomicInteger();
    ShardOptions options = new ShardOptions(Map.of(), 5, 200, 60_000, b -> b.region().equals("c") ? new Failing(b, callsToC) : b);
    var stores = Map.of("a", new InMemoryShardStore(), "b", new InMemoryShardStore(), "c", new InMemoryShardStore());
    try (var coordinator = new ShardCoordinator(options, stores, id -> Optional.of(WITH_C).filter(s -> s.eventId().equals(id)),
        Clock.systemUTC()).start()) {
      coordinator.report("with-c", new ShardDemand("a", 0, 1, 0)).get(10, TimeUnit.SECONDS);
      Thread.sleep(1_000); // a round every 5 ms tick, each failing on c: left alone, or failing again
    } finally {
      logger.detachAppender(seen);
    }
    List<String> warned = seen.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
        .map(e -> e.getFormattedMessage()).filter(m -> m.contains("rebalance failed")).toList();
    assertEquals(1, warned.size(), warned.size() + " lines: " + warned.stream().limit(3).toList());
    assertTrue(callsToC.get() >= 2, "c was tried again after its first wait: " + callsToC.get());
  }

  @Test
  void anEventsSpecIsReadFromTheStoreOnceNotAtEveryReport() throws Exception {
    ShardOptions options = new ShardOptions(Map.of(), 3_600_000, 200, 60_000, b -> b);
    var stores = Map.of("a", new InMemoryShardStore(), "b", new InMemoryShardStore());
    AtomicInteger lookUps = new AtomicInteger();
    try (var coordinator = new ShardCoordinator(options, stores, id -> {
      lookUps.incrementAndGet(); // with replica acknowledgements, each read may wait for a replica round
      return Optional.ofNullable(id.equals(WITHOUT_C.eventId()) ? WITHOUT_C : null);
    }, Clock.systemUTC())) {
      for (int i = 0; i < 5; i++) coordinator.report("without-c", new ShardDemand("a", 0, 1, 0)).get(10, TimeUnit.SECONDS);
      assertEquals(1, lookUps.get());
    }
  }

  /** A store that takes its time and then fails, as one that is down does. */
  record Failing(ShardBackend inner, AtomicInteger calls) implements ShardBackend {
    private <T> T fail() {
      calls.incrementAndGet();
      try {
        Thread.sleep(200); // a store that times out holds the coordinator's thread this long (2 s in production)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("shard store of c timed out");
    }

    @Override
    public String region() {
      return inner.region();
    }

    @Override
    public DebitResult debit(String transferId, long units, String target) {
      return fail();
    }

    @Override
    public boolean credit(String transferId, long units) {
      return fail();
    }

    @Override
    public void settle(String transferId) {
      fail();
    }

    @Override
    public void forgetCredit(String transferId) {
      fail();
    }

    @Override
    public ShardSnapshot snapshot() {
      return fail();
    }
  }
}
