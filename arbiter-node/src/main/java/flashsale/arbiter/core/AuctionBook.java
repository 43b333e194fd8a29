package flashsale.arbiter.core;

import flashsale.sale.AuctionClose;
import flashsale.sale.AuctionRules;
import flashsale.sale.AuctionStanding;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * An auction's rule: bids judged in the order they are decided (global stamp order), against the
 * bids standing now. A bid is accepted when it meets the reserve and, once {@code units} bids
 * stand, beats the last of them by the increment; it then pushes that one out. A bid stamped at or
 * after the current close is refused. An accepted bid stamped within the soft-close window before
 * the close moves the close later by the window, never past the event's end plus the cap; judged
 * in stamp order, that is the same on every replay.
 *
 * <p>Advances ahead of the store like {@link StockBook}, which marks and rolls it back with each batch.
 */
final class AuctionBook {

  private final EventSpec spec;
  private final AuctionRules rules;
  /** Best first: amount descending, then earlier stamp, then the event's keyed hash. */
  private final Comparator<Ticket> bestFirst;
  private TreeSet<Ticket> standing;
  private TreeSet<Ticket> markedStanding;
  private long closeMicros;
  private long markedCloseMicros;
  /** The result is fixed: every later bid is refused. */
  private boolean closed;

  /** Resumes from the head's standing: fresh, or where the last leader's last stored batch left it. */
  AuctionBook(EventHead head) {
    this.spec = head.spec();
    this.rules = spec.auction().orElseThrow(() -> new IllegalStateException(spec.eventId() + " is not an auction"));
    // Judging on from an empty book would accept bids the earlier term outbid.
    AuctionStanding resumed = head.auction().orElseThrow(() -> new IllegalStateException(
        "auction " + spec.eventId() + " has no standing bids stored at rank " + head.lastRank() + ": cannot resume"));
    if (resumed.bids().size() > rules.units()) {
      throw new IllegalStateException("auction " + spec.eventId() + " resumes with " + resumed.bids().size()
          + " standing bids for " + rules.units() + " units");
    }
    this.bestFirst = AuctionStanding.bestFirst(spec.tieBreakSeed());
    this.standing = new TreeSet<>(bestFirst);
    standing.addAll(resumed.bids());
    this.closeMicros = resumed.closeMicros();
    this.closed = resumed.closed();
    mark();
  }

  /** Judges {@code bid} as decision {@code rank}; it must come in global stamp order. */
  Decision judge(Ticket bid, long rank, boolean late, long nowMicros) {
    return Decision.ofBid(bid, verdict(bid), rank, nowMicros, late);
  }

  private BidVerdict verdict(Ticket bid) {
    if (!bid.isBid()) throw new IllegalStateException("ticket " + bid.requestId() + " of auction " + spec.eventId() + " is no bid");
    if (closed || bid.stampMicros() >= closeMicros) return new BidVerdict(BidAnswer.CLOSED, 0, closeMicros);
    long toBeat = amountToBeat();
    if (bid.bidMinor() < rules.reservePriceMinor()) return new BidVerdict(BidAnswer.TOO_LOW, toBeat, closeMicros);
    if (bid.bidMinor() < toBeat) return new BidVerdict(BidAnswer.OUTBID, toBeat, closeMicros);
    standing.add(bid);
    if (standing.size() > rules.units()) standing.pollLast();
    if (rules.softCloseWindowMicros() > 0 && bid.stampMicros() >= closeMicros - rules.softCloseWindowMicros()) {
      closeMicros = Math.min(closeMicros + rules.softCloseWindowMicros(), spec.latestCloseMicros());
    }
    if (!standing.contains(bid) || standing.size() > rules.units()) {
      throw new IllegalStateException("accepted bid " + bid.requestId() + " does not stand in " + spec.eventId());
    }
    return new BidVerdict(BidAnswer.ACCEPTED, 0, closeMicros);
  }

  /** The least amount accepted now: the reserve until every unit has a bid, then the last one's plus the increment. */
  long amountToBeat() {
    if (standing.size() < rules.units()) return rules.reservePriceMinor();
    return Math.max(rules.reservePriceMinor(), Math.addExact(standing.last().bidMinor(), rules.minIncrementMinor()));
  }

  /** The close as it stands (moved by accepted bids within the soft-close window). */
  long closeMicros() {
    return closeMicros;
  }

  /** The bids standing now, best first. */
  List<Ticket> standing() {
    return List.copyOf(standing);
  }

  /**
   * Closes the auction, once every bid stamped before the close has been judged and is durable:
   * the standing bids win, and any bid judged from now on is refused.
   */
  AuctionClose close() {
    if (closed) throw new IllegalStateException("auction " + spec.eventId() + " closed twice");
    closed = true;
    return new AuctionClose(spec.eventId(), closeMicros, new ArrayList<>(standing));
  }

  boolean closed() {
    return closed;
  }

  /** The standing as the store holds it (at the last {@link #mark}): what may be shown. */
  AuctionStanding durableStanding() {
    return new AuctionStanding(markedCloseMicros, new ArrayList<>(markedStanding), false);
  }

  /** What a new leader resumes from, as it stands now. */
  AuctionStanding standingNow() {
    return new AuctionStanding(closeMicros, new ArrayList<>(standing), closed);
  }

  /** A new batch starts here: the previous one is durable. */
  void mark() {
    markedStanding = new TreeSet<>(standing);
    markedCloseMicros = closeMicros;
  }

  /** Back to the last {@link #mark}: the store refused the batch. */
  void rollBack() {
    standing = new TreeSet<>(markedStanding);
    closeMicros = markedCloseMicros;
  }
}
