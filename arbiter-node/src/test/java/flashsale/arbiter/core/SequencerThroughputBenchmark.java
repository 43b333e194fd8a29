package flashsale.arbiter.core;

import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: a rough single-core throughput figure for the sequencer. Five regions send tickets
 * in batches of 64 with interleaved stamps; the store acknowledges every batch at once. Run with
 * {@code java -cp <test-classes>:<classes>:<common classes> flashsale.arbiter.core.SequencerThroughputBenchmark}.
 */
final class SequencerThroughputBenchmark {

  private static final int REGIONS = 5;
  private static final int TICKETS_PER_REGION = 400_000;
  private static final int TICKETS_PER_MESSAGE = 64;

  public static void main(String[] args) {
    for (int round = 0; round < 5; round++) {
      long started = System.nanoTime();
      long decided = runOnce();
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("round %d: %d tickets decided in %.3f s = %.0f tickets/s%n", round, decided, seconds, decided / seconds);
    }
  }

  private static long runOnce() {
    List<String> regions = new ArrayList<>();
    for (int r = 0; r < REGIONS; r++) regions.add("region-" + r);
    EventSpec spec = new EventSpec("bench", "item", 100_000, 0, Long.MAX_VALUE, 3, regions, SaleMode.GLOBAL_ORDER, 99);
    Sequencer sequencer = new Sequencer(new SequencerConfig(1024, 5_000, Long.MAX_VALUE / 4));
    sequencer.eventAdded(EventHead.fresh(spec), 0);
    regions.forEach(r -> sequencer.regionConnected(r, 0));
    long decided = 0;
    for (int base = 0; base < TICKETS_PER_REGION; base += TICKETS_PER_MESSAGE) {
      for (int r = 0; r < REGIONS; r++) {
        List<Ticket> message = new ArrayList<>(TICKETS_PER_MESSAGE);
        for (int i = base; i < base + TICKETS_PER_MESSAGE; i++) {
          message.add(new Ticket("bench", "req-" + r + "-" + i, "user-" + (i % 50_000), 1, regions.get(r), i * 10L + r));
        }
        decided += persistAll(sequencer, sequencer.ticketsReceived(regions.get(r), message, base));
      }
    }
    return decided;
  }

  private static long persistAll(Sequencer sequencer, List<Effect> effects) {
    long decided = 0;
    List<Effect> pending = effects;
    while (true) {
      Effect.PersistBatch batch = pending.stream().filter(e -> e instanceof Effect.PersistBatch)
          .map(e -> (Effect.PersistBatch) e).findFirst().orElse(null);
      if (batch == null) return decided;
      decided += batch.batch().decisions().size();
      pending = sequencer.batchPersisted("bench", batch.batch().sequence(), 0);
    }
  }
}
