package flashsale.arbiter.core;

import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The sequencer core alone, under JMH: five regions' messages of 64 tickets with interleaved stamps,
 * every batch acknowledged by the store at once; the score is tickets decided per second on one
 * thread. {@code kind=reservation} sells the same stock as 8 slots, each ticket naming 3 of them. Not run by {@code verify}; run it with
 * {@code java -cp <arbiter-node test classpath> org.openjdk.jmh.Main SequencerJmhBenchmark} (see README).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SequencerJmhBenchmark {
  static final int REGIONS = 5;
  static final int TICKETS_PER_MESSAGE = 64;
  static final int ROUNDS = 200; // messages per region per invocation
  static final int TICKETS = REGIONS * TICKETS_PER_MESSAGE * ROUNDS;

  static final int SLOTS = 8;

  @Param({"flash-sale", "reservation"})
  public String kind;

  private List<String> regions;
  private List<List<Ticket>> messages; // in send order: round-robin over the regions
  private Sequencer sequencer;
  private long invocation;

  @Setup(Level.Trial)
  public void prepare() {
    regions = new ArrayList<>();
    for (int r = 0; r < REGIONS; r++) regions.add("region-" + r);
  }

  /** A fresh sequencer and fresh request ids per invocation: every ticket is new and decided. */
  @Setup(Level.Invocation)
  public void freshSale() {
    invocation++;
    boolean reservation = kind.equals("reservation");
    Map<String, Long> slots = new LinkedHashMap<>();
    for (int s = 0; s < SLOTS; s++) slots.put("slot-" + s, (long) TICKETS / 2 / SLOTS);
    EventSpec spec = reservation ? EventSpec.reservation("bench", "item", slots, 0, Long.MAX_VALUE, 3, regions, 99)
        : new EventSpec("bench", "item", TICKETS / 2, 0, Long.MAX_VALUE, 3, regions, SaleMode.GLOBAL_ORDER, 99);
    sequencer = new Sequencer(new SequencerConfig(1024, 5_000, Long.MAX_VALUE / 4));
    sequencer.eventAdded(EventHead.fresh(spec), 0);
    regions.forEach(r -> sequencer.regionConnected(r, 0));
    messages = new ArrayList<>(REGIONS * ROUNDS);
    for (int round = 0; round < ROUNDS; round++) {
      int base = round * TICKETS_PER_MESSAGE;
      for (int r = 0; r < REGIONS; r++) {
        List<Ticket> message = new ArrayList<>(TICKETS_PER_MESSAGE);
        for (int i = base; i < base + TICKETS_PER_MESSAGE; i++) {
          List<String> asked = reservation
              ? List.of("slot-" + i % SLOTS, "slot-" + (i + 3) % SLOTS, "slot-" + (i + 5) % SLOTS) : List.of();
          message.add(new Ticket("bench", "req-" + invocation + "-" + r + "-" + i, "user-" + (i % 50_000), 1,
              regions.get(r), i * 10L + r, 0, asked));
        }
        messages.add(message);
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(TICKETS)
  public long decide() {
    long decided = 0;
    for (int m = 0; m < messages.size(); m++) {
      String region = regions.get(m % REGIONS);
      decided += persistAll(sequencer.ticketsReceived(region, messages.get(m), m));
    }
    return decided;
  }

  private long persistAll(List<Effect> effects) {
    long decided = 0;
    List<Effect> pending = effects;
    while (true) {
      Effect.PersistBatch batch = null;
      for (Effect e : pending) {
        if (e instanceof Effect.PersistBatch p) {
          batch = p;
          break;
        }
      }
      if (batch == null) return decided;
      decided += batch.batch().decisions().size();
      pending = sequencer.batchPersisted("bench", batch.batch().sequence(), 0);
    }
  }
}
