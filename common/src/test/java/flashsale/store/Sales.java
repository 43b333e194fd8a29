package flashsale.store;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;

/**
 * Test data for store tests: events and batches of decisions with every field set to something
 * distinct, so a store that drops or mixes up a field fails the comparison.
 */
public final class Sales {
  public static final long START_MICROS = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z

  private Sales() {}

  public static EventSpec event(String eventId, long stock, int perUserLimit) {
    return new EventSpec(eventId, "shoes " + eventId, stock, START_MICROS, START_MICROS + 3_600_000_000L,
        perUserLimit, List.of("beijing", "shanghai"), SaleMode.GLOBAL_ORDER, 0x5eed_0000L + stock);
  }

  /** Starts a batch whose first decision gets {@code firstRank}. */
  public static Batch batch(String eventId, long sequence, long firstRank) {
    return new Batch(eventId, sequence, firstRank);
  }

  /** A batch under construction; ranks follow the order decisions are added. */
  public static final class Batch {
    private final String eventId;
    private final long sequence;
    private long nextRank;
    private final List<Decision> decisions = new ArrayList<>();

    private Batch(String eventId, long sequence, long firstRank) {
      this.eventId = eventId;
      this.sequence = sequence;
      this.nextRank = firstRank;
    }

    public Batch win(String requestId, String userId, int quantity) {
      return add(requestId, userId, quantity, Outcome.WON, LossReason.NONE);
    }

    public Batch lose(String requestId, String userId, int quantity, LossReason reason) {
      return add(requestId, userId, quantity, Outcome.LOST, reason);
    }

    private Batch add(String requestId, String userId, int quantity, Outcome outcome, LossReason reason) {
      long rank = nextRank++;
      String region = rank % 2 == 0 ? "beijing" : "shanghai";
      long stamp = START_MICROS + rank * 37;
      Ticket ticket = new Ticket(eventId, requestId, userId, quantity, region, stamp);
      decisions.add(new Decision(ticket, outcome, reason, rank, stamp + 30_123, rank % 5 == 0));
      return this;
    }

    public DecisionBatch build() {
      return new DecisionBatch(eventId, sequence, decisions);
    }
  }
}
