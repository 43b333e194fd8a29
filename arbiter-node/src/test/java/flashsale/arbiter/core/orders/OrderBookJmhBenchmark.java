package flashsale.arbiter.core.orders;

import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One order book's 10 ms tick on the sequencer's loop, with a unit given back that fits nobody
 * waiting (each waitlisted buyer asks for 2) while another winner still has time to pay: the case
 * where a tick could walk the whole waitlist, twice the stock long. The score is ticks per second
 * for a waitlist of {@code waitlisted} buyers; it should not fall as the waitlist grows. Not run by
 * {@code verify}; run it as {@code SequencerJmhBenchmark} is run (README), naming this class.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OrderBookJmhBenchmark {
  static final long WINDOW_MICROS = 3_600_000_000L;

  @Param({"10", "100000"})
  public int waitlisted;

  private OrderBook book;
  private long nowMicros;

  @Setup
  public void setUp() {
    int stock = 2;
    book = new OrderBook("e", stock, 2, new OrderTerms(WINDOW_MICROS, waitlisted),
        OrderSnapshot.empty(Optional.empty()));
    List<Decision> decisions = new ArrayList<>();
    decisions.add(decision("a", 1, 1, Outcome.WON, LossReason.NONE));
    decisions.add(decision("b", 1, 2, Outcome.WON, LossReason.NONE));
    for (int i = 0; i < waitlisted; i++) {
      decisions.add(decision("w" + i, 2, 3 + i, Outcome.LOST, LossReason.INSUFFICIENT_STOCK));
    }
    acknowledge(book.decided(decisions, 0));
    List<OrderEffect> effects = new ArrayList<>();
    book.cancel("a", 1, effects); // one unit free; everyone waiting asks for 2, and b may still pay
    acknowledge(effects);
    if (book.freeUnits() != 1 || book.waitlistLength() != waitlisted) throw new IllegalStateException("set-up went wrong");
    nowMicros = 2;
  }

  private void acknowledge(List<OrderEffect> effects) {
    List<OrderEffect> pending = new ArrayList<>(effects);
    for (int i = 0; i < pending.size(); i++) {
      if (pending.get(i) instanceof OrderEffect.PersistOrders p) pending.addAll(book.persisted(p.write().sequence()));
    }
  }

  private static Decision decision(String requestId, int quantity, long rank, Outcome outcome, LossReason why) {
    return new Decision(new Ticket("e", requestId, "u-" + requestId, quantity, "r", rank), outcome, why, rank, 0, false);
  }

  @Benchmark
  public List<OrderEffect> tick() {
    return book.tick(nowMicros++);
  }
}
