package flashsale.system.sim;

import flashsale.sale.AuctionClose;
import flashsale.sale.AuctionRules;
import flashsale.sale.AuctionStanding;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.TreeSet;

/**
 * The simulation's own judge of one auction, fed every stored decision in rank order, across
 * leader changes: it replays the rule (reserve, increment over the units-th best, soft close) on
 * its own standing bids and requires every stored answer to be the one it gives. A new leader that
 * forgot a standing bid answers differently, so accepted bids are never lost unnoticed. At the
 * stored close: no bid accepted at or after it, and the winners are the best {@code units} accepted
 * bids by amount, then stamp (then the event's draw).
 */
public final class SimAuctionOracle {
  private final EventSpec spec;
  private final AuctionRules rules;
  private final TreeSet<Ticket> standing;
  private long closeMicros;
  private AuctionClose closed;

  public SimAuctionOracle(EventSpec spec) {
    this.spec = spec;
    this.rules = spec.auction().orElseThrow();
    this.standing = new TreeSet<>(AuctionStanding.bestFirst(spec.tieBreakSeed()));
    this.closeMicros = spec.endMicros();
  }

  /** The store accepted this decision (the next rank of the auction). */
  public void stored(Decision d) {
    if (d.bid().isEmpty()) return; // held back past the bound: refused unjudged
    Ticket bid = d.ticket();
    BidVerdict expected = judge(bid);
    if (!expected.equals(d.bid().get())) {
      throw new AssertionError("auction " + spec.eventId() + " " + rules + ": expected " + expected + " for " + d
          + " standing " + standing.stream().map(t -> t.requestId() + "=" + t.bidMinor()).toList());
    }
  }

  private BidVerdict judge(Ticket bid) {
    if (closed != null || bid.stampMicros() >= closeMicros) return new BidVerdict(BidAnswer.CLOSED, 0, closeMicros);
    long toBeat = standing.size() < rules.units() ? rules.reservePriceMinor()
        : Math.max(rules.reservePriceMinor(), standing.last().bidMinor() + rules.minIncrementMinor());
    if (bid.bidMinor() < rules.reservePriceMinor()) return new BidVerdict(BidAnswer.TOO_LOW, toBeat, closeMicros);
    if (bid.bidMinor() < toBeat) return new BidVerdict(BidAnswer.OUTBID, toBeat, closeMicros);
    standing.add(bid);
    if (standing.size() > rules.units()) standing.pollLast();
    if (rules.softCloseWindowMicros() > 0 && bid.stampMicros() >= closeMicros - rules.softCloseWindowMicros()) {
      closeMicros = Math.min(closeMicros + rules.softCloseWindowMicros(), spec.latestCloseMicros());
    }
    return new BidVerdict(BidAnswer.ACCEPTED, 0, closeMicros);
  }

  /** The store holds the result (a retry writes the same one). */
  public void closed(AuctionClose close) {
    if (closed != null) {
      if (!closed.equals(close)) throw new AssertionError("auction closed twice: " + closed + " then " + close);
      return;
    }
    if (close.closeMicros() != closeMicros) {
      throw new AssertionError("auction " + spec.eventId() + " closed at " + close.closeMicros() + " but its bids move the close to "
          + closeMicros);
    }
    if (!close.winners().equals(new ArrayList<>(standing))) {
      throw new AssertionError("auction " + spec.eventId() + " won by " + close.winners() + " but the best accepted bids are "
          + standing);
    }
    closed = close;
  }

  boolean isClosed() {
    return closed != null;
  }

  AuctionClose result() {
    return closed;
  }
}
