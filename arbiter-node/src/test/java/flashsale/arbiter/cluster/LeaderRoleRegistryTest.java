package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.events.EventCatalog;
import flashsale.arbiter.events.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.store.ArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The registry of sequenced events changes on the loop thread, in order with the term's end: an
 * event being loaded when the lease is lost is not left "known" with no sequencer holding it, so
 * the next term loads it and sequences its tickets (otherwise refused as an unknown event for the
 * whole term, decided ones included).
 */
class LeaderRoleRegistryTest {

  /** A term that records how its recovery ended. */
  static final class RecordedTerm implements Leadership.Term {
    final long epoch;
    final CompletableFuture<String> ended = new CompletableFuture<>();

    RecordedTerm(long epoch) {
      this.epoch = epoch;
    }

    @Override
    public long epoch() {
      return epoch;
    }

    @Override
    public void recovered() {
      ended.complete("recovered");
    }

    @Override
    public void failed(String why) {
      ended.complete("failed: " + why);
    }

    @Override
    public void fencedBy(long claimedEpoch, String why) {
      ended.complete("fenced: " + why);
    }
  }

  /** Runs before each call of the store, by method name. */
  interface BeforeCall {
    void before(String method) throws Throwable;
  }

  /** The in-memory store, with {@code before} run ahead of each call. */
  private static ArbiterStore around(InMemoryArbiterStore memory, BeforeCall before) {
    return (ArbiterStore) Proxy.newProxyInstance(ArbiterStore.class.getClassLoader(), new Class<?>[] {ArbiterStore.class},
        (proxy, method, args) -> {
          before.before(method.getName());
          try {
            return method.invoke(memory, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** One partition of an arbiter as ArbiterPartition wires it, on {@code store}, standing by. */
  static final class Node implements AutoCloseable {
    final SequencerLoop loop;
    final EventCatalog catalog;
    final LeaderRole role;

    Node(ArbiterStore store) {
      RegionSessions sessions = new RegionSessions();
      EventRegistry events = new EventRegistry();
      SequencerConfig config = SequencerConfig.defaults();
      loop = new SequencerLoop(new Sequencer(config), store, Clock.systemUTC(), sessions,
          new ArbiterMetrics(new SimpleMeterRegistry()));
      loop.standBy();
      catalog = new EventCatalog(store, flashsale.arbiter.events.EventPools.NONE, loop, events, spec -> {});
      role = new LeaderRole(store, loop, sessions, events, catalog, new LeaderGate(() -> ""), () -> new Sequencer(config),
          state -> {});
    }

    @Override
    public void close() {
      role.close();
      loop.close();
    }
  }

  /**
   * An event the previous leader stored during the takeover, after this term's recovery listed the
   * live events (so under the old epoch's claim): no region looks up an event it knows, so only a
   * re-list of the live events finds it and sequences it here.
   */
  @Test
  void anEventStoredAfterRecoveryListedTheLiveEventsIsSequencedByTheReList() throws Exception {
    InMemoryArbiterStore memory = new InMemoryArbiterStore();
    long nowMicros = System.currentTimeMillis() * 1_000;
    EventSpec late = new EventSpec("late", "shoes", 10, nowMicros - 1_000_000, nowMicros + 600_000_000, 1,
        List.of("east", "west"), SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
    try (Node node = new Node(memory)) {
      node.role.relistEvery(50);
      RecordedTerm term = new RecordedTerm(1);
      node.role.elected(term);
      String ended = term.ended.get(10, TimeUnit.SECONDS);
      assertTrue(ended.equals("recovered"), ended);
      node.role.leading(1);
      memory.createEvent("create-late", late); // by the deposed leader, straight to the store
      long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (node.catalog.find("late").isEmpty() && System.nanoTime() < deadlineNanos) Thread.sleep(20);
      assertTrue(node.catalog.find("late").isPresent(), "sequenced by this term, found by the re-list");
    }
  }

  @Test
  void anEventLoadingWhenTheTermEndsIsSequencedByTheNextTerm() throws Exception {
    InMemoryArbiterStore memory = new InMemoryArbiterStore();
    long nowMicros = System.currentTimeMillis() * 1_000;
    EventSpec shoes = new EventSpec("shoes", "shoes", 10, nowMicros - 1_000_000, nowMicros + 600_000_000, 1,
        List.of("east", "west"), SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
    CountDownLatch headRead = new CountDownLatch(1);
    CountDownLatch releaseHead = new CountDownLatch(1);
    ArbiterStore store = around(memory, method -> {
      if (method.equals("loadHead") && headRead.getCount() > 0) {
        headRead.countDown();
        releaseHead.await(); // the first read of the head is slow
      }
    });
    try (Node node = new Node(store)) {
      RecordedTerm first = new RecordedTerm(1);
      node.role.elected(first);
      String firstEnded = first.ended.get(10, TimeUnit.SECONDS);
      assertTrue(firstEnded.equals("recovered"), firstEnded);
      node.role.leading(1);
      // Created during term 1 (stored, not yet sequenced): a look-up loads it, and its head read is slow.
      memory.createEvent("create-shoes", shoes);
      CompletableFuture.runAsync(() -> node.catalog.findOrLoad("shoes"));
      assertTrue(headRead.await(10, TimeUnit.SECONDS));
      CountDownLatch releaseLoop = new CountDownLatch(1);
      node.loop.execute(() -> {
        try {
          releaseLoop.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      // The loop is busy (a burst) when the head is read: the look-up's "add to the sequencer" waits.
      releaseHead.countDown();
      Thread.sleep(100);
      node.role.deposed("lease lost", ""); // the term ends meanwhile
      Thread.sleep(100);
      releaseLoop.countDown();

      RecordedTerm second = new RecordedTerm(2);
      node.role.elected(second);
      String ended = second.ended.get(10, TimeUnit.SECONDS);
      assertTrue(ended.equals("recovered"), ended);
      node.role.leading(2);
      assertTrue(node.loop.query(s -> s.eventStatus("shoes")).get(10, TimeUnit.SECONDS).isPresent(),
          "the second term sequences shoes");
    }
  }

  @Test
  void aRecoveryThatThrowsAnErrorIsReportedFailedNotLeftRecovering() throws Exception {
    ArbiterStore store = around(new InMemoryArbiterStore(), method -> {
      if (method.equals("listLiveEvents")) throw new AssertionError("head of e7 breaks an invariant");
    });
    try (Node node = new Node(store)) {
      RecordedTerm term = new RecordedTerm(1);
      node.role.elected(term);
      String ended = term.ended.get(10, TimeUnit.SECONDS);
      assertTrue(ended.startsWith("failed: java.lang.AssertionError"), ended);
    }
  }
  /**
   * A takeover with many live events and a store a millisecond away: they load side by side, so
   * the partition opens long before the purchases regions resend would pass the ticket age bound.
   */
  @Test
  void manyLiveEventsLoadSideBySide() throws Exception {
    InMemoryArbiterStore memory = new InMemoryArbiterStore();
    long nowMicros = System.currentTimeMillis() * 1_000;
    int events = 2_000;
    for (int e = 0; e < events; e++) {
      memory.createEvent("create-" + e, new EventSpec("live-" + e, "shoes", 10, nowMicros - 1_000_000,
          nowMicros + 600_000_000, 1, List.of("east", "west"), SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of()));
    }
    ArbiterStore store = around(memory, method -> {
      if (method.equals("fenceEvent") || method.equals("loadHead")) Thread.sleep(1); // a round trip each
    });
    try (Node node = new Node(store)) {
      RecordedTerm term = new RecordedTerm(1);
      long startNanos = System.nanoTime();
      node.role.elected(term);
      String ended = term.ended.get(60, TimeUnit.SECONDS);
      long recoveryMs = (System.nanoTime() - startNanos) / 1_000_000;
      assertTrue(ended.equals("recovered"), ended);
      System.out.printf("recovered %d live events, 2 store round trips of 1 ms each, in %d ms%n", events, recoveryMs);
      assertTrue(recoveryMs < 2_000, "recovery took " + recoveryMs + " ms (one at a time: 4,000+ ms)");
      node.role.leading(1);
      assertTrue(node.loop.query(s -> s.eventStatus("live-" + (events - 1))).get(10, TimeUnit.SECONDS).isPresent());
    }
  }
}
