package flashsale.store;

import flashsale.sale.DecisionBatch;
import flashsale.sale.EventLedger;
import flashsale.sale.LossReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Several would-be leaders selling one event at once: each reads the ledger, decides the next
 * ranks against what it read (so most of them race for the same ranks with a stale view) and
 * sometimes deliberately claims one unit more than it saw remaining. Only the store stands
 * between them and an oversell.
 */
final class ConflictingWriters {
  private static final int MAX_ATTEMPTS_PER_WRITER = 2_000;

  record Outcome(int applied, int rejected) {}

  private final ArbiterStore store;
  private final String eventId;
  private final AtomicInteger applied = new AtomicInteger();
  private final AtomicInteger rejected = new AtomicInteger();

  private ConflictingWriters(ArbiterStore store, String eventId) {
    this.store = store;
    this.eventId = eventId;
  }

  /** Runs {@code writers} threads until they see the event sold out; seeded per writer. */
  static Outcome sell(ArbiterStore store, String eventId, int writers, long seed) throws Exception {
    ConflictingWriters run = new ConflictingWriters(store, eventId);
    CyclicBarrier startTogether = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        done.add(pool.submit(() -> {
          startTogether.await();
          run.write(writer, new Random(seed + writer));
          return null;
        }));
      }
      for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    return new Outcome(run.applied.get(), run.rejected.get());
  }

  private void write(int writer, Random random) throws Exception {
    for (int attempt = 0; attempt < MAX_ATTEMPTS_PER_WRITER; attempt++) {
      EventLedger seen = store.loadLedger(eventId);
      if (seen.remainingStock() == 0) return;
      DecisionBatch batch = nextBatch(writer, attempt, seen, random);
      try {
        store.persistBatch(batch).get(30, TimeUnit.SECONDS);
        applied.incrementAndGet();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof StoreRejectedException) && !(e.getCause() instanceof StoreRefusedException)) throw e;
        rejected.incrementAndGet();
      }
    }
  }

  private DecisionBatch nextBatch(int writer, int attempt, EventLedger seen, Random random) {
    Sales.Batch batch = Sales.batch(eventId, attempt + 1, seen.lastRank() + 1);
    long left = seen.remainingStock();
    int decisions = 1 + random.nextInt(4);
    for (int n = 0; n < decisions; n++) {
      String requestId = "w" + writer + "-a" + attempt + "-" + n;
      String user = "user-" + random.nextInt(50);
      int quantity = 1 + random.nextInt(3);
      if (n == decisions - 1 && random.nextInt(4) == 0) {
        batch.win(requestId, user, (int) left + 1); // one unit more than this writer saw remaining
      } else if (quantity <= left) {
        batch.win(requestId, user, quantity);
        left -= quantity;
      } else {
        batch.lose(requestId, user, quantity, left == 0 ? LossReason.SOLD_OUT : LossReason.INSUFFICIENT_STOCK);
      }
    }
    return batch.build();
  }
}
