package flashsale.store;

import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.DecisionBatch;
import flashsale.sale.EventLedger;
import flashsale.sale.LossReason;
import flashsale.store.redis.RedisArbiterStore;
import flashsale.store.testing.RedisServerExtension;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures persistBatch on Redis from one thread with a few batches in flight and prints the
 * rate. Informational: the figure depends on the machine, so nothing asserts on it; the test
 * does assert that every batch landed.
 */
class RedisStoreThroughputTest {
  private static final Logger log = LoggerFactory.getLogger(RedisStoreThroughputTest.class);
  private static final int BATCHES = 200;
  private static final int DECISIONS_PER_BATCH = 500;
  private static final int BATCHES_IN_FLIGHT = 4;
  /** One decision in ten wins: a flash sale mostly says no. */
  private static final int WIN_EVERY = 10;

  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  @Test
  void persistBatchDecisionsPerSecond() throws Exception {
    try (ArbiterStore store = new RedisArbiterStore(REDIS.uri())) {
      long stock = 1_000_000;
      store.createEvent("c-warm", event("warm", stock, 10));
      store.createEvent("c-bench", event("bench", stock, 10));
      persistAll(store, batches("warm", 40)); // JIT and connection warm-up, not measured

      List<DecisionBatch> batches = batches("bench", BATCHES);
      long startNanos = System.nanoTime();
      persistAll(store, batches);
      long elapsedNanos = System.nanoTime() - startNanos;

      long decisions = (long) BATCHES * DECISIONS_PER_BATCH;
      double perSecond = decisions / (elapsedNanos / 1e9);
      String line = String.format(
          "RedisArbiterStore.persistBatch: %d decisions (%d batches x %d, %d in flight) in %.1f ms = %.0f decisions/s",
          decisions, BATCHES, DECISIONS_PER_BATCH, BATCHES_IN_FLIGHT, elapsedNanos / 1e6, perSecond);
      System.out.println(line);
      log.info(line);

      EventLedger ledger = store.loadLedger("bench");
      assertEquals(decisions, ledger.lastRank());
      assertEquals(stock - decisions / WIN_EVERY, ledger.remainingStock());
    }
  }

  private static void persistAll(ArbiterStore store, List<DecisionBatch> batches) throws Exception {
    Deque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    for (DecisionBatch b : batches) {
      if (inFlight.size() == BATCHES_IN_FLIGHT) inFlight.removeFirst().get(30, TimeUnit.SECONDS);
      inFlight.addLast(store.persistBatch(b));
    }
    for (CompletableFuture<Void> f : inFlight) f.get(30, TimeUnit.SECONDS);
  }

  private static List<DecisionBatch> batches(String eventId, int count) {
    List<DecisionBatch> batches = new ArrayList<>();
    long rank = 1;
    for (int s = 1; s <= count; s++) {
      Sales.Batch b = Sales.batch(eventId, s, rank);
      for (int n = 0; n < DECISIONS_PER_BATCH; n++, rank++) {
        String requestId = "req-" + eventId + "-" + rank + "-7f3a9c";
        if (rank % WIN_EVERY == 0) b.win(requestId, "user-" + rank, 1);
        else b.lose(requestId, "user-" + (rank % 5_000), 1, LossReason.SOLD_OUT);
      }
      batches.add(b.build());
    }
    return batches;
  }
}
