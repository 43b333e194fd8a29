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

  /** A reservation whose slots hold the given capacities, in the map's order. */
  public static EventSpec reservation(String eventId, java.util.Map<String, Long> slots, int perUserLimit) {
    return EventSpec.reservation(eventId, "tables " + eventId, slots, START_MICROS, START_MICROS + 3_600_000_000L,
        perUserLimit, List.of("beijing", "shanghai"), 0x7ab1e_0000L);
  }

  /** An auction of {@code units} units in EUR cents, reserve 1000, increment 50, soft close 2 min capped at 10 min. */
  public static EventSpec auction(String eventId, int units) {
    return EventSpec.auction(eventId, "painting " + eventId,
        new flashsale.sale.AuctionRules(units, 1_000, 50, "EUR", 120_000_000L, 600_000_000L), START_MICROS,
        START_MICROS + 3_600_000_000L, List.of("beijing", "shanghai"), 0xb1d_0000L);
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

    /** A reservation's winner: it asked for {@code asked} (best first) and got {@code got}. */
    public Batch reserve(String requestId, String userId, int quantity, List<String> asked, String got) {
      return add(requestId, userId, quantity, asked, got, Outcome.WON, LossReason.NONE);
    }

    /** A reservation's loser: it asked for {@code asked} and got nothing. */
    public Batch loseSlots(String requestId, String userId, int quantity, List<String> asked, LossReason reason) {
      return add(requestId, userId, quantity, asked, "", Outcome.LOST, reason);
    }

    /** An auction bid of {@code amountMinor} and the arbiter's answer to it. */
    public Batch bid(String requestId, String userId, long amountMinor, flashsale.sale.BidVerdict verdict) {
      long rank = nextRank++;
      long stamp = START_MICROS + rank * 37;
      Ticket ticket = Ticket.bid(eventId, requestId, userId, amountMinor, rank % 2 == 0 ? "beijing" : "shanghai", stamp, rank % 3);
      decisions.add(Decision.ofBid(ticket, verdict, rank, stamp + 30_123, rank % 5 == 0));
      return this;
    }

    private Batch add(String requestId, String userId, int quantity, Outcome outcome, LossReason reason) {
      return add(requestId, userId, quantity, List.of(), "", outcome, reason);
    }

    private Batch add(String requestId, String userId, int quantity, List<String> asked, String got, Outcome outcome,
        LossReason reason) {
      long rank = nextRank++;
      String region = rank % 2 == 0 ? "beijing" : "shanghai";
      long stamp = START_MICROS + rank * 37;
      Ticket ticket = new Ticket(eventId, requestId, userId, quantity, region, stamp, rank % 3, asked);
      decisions.add(new Decision(ticket, outcome, reason, rank, stamp + 30_123, rank % 5 == 0, false, got));
      return this;
    }

    public DecisionBatch build() {
      return new DecisionBatch(eventId, sequence, decisions);
    }
  }
}
