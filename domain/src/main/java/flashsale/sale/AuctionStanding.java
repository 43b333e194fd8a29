package flashsale.sale;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * What a leader needs to go on judging an auction, and no more: the bids standing (at most its
 * units, best first) and the close as it stands (a soft close may have moved it). Stored with every
 * batch of an auction, so a new leader resumes from it instead of from an empty book; its size
 * does not grow with the number of bids. Once the result is stored, {@code closed} is true and the
 * standing bids are the winners.
 */
public record AuctionStanding(long closeMicros, List<Ticket> bids, boolean closed) {

  public AuctionStanding {
    bids = List.copyOf(bids);
    for (Ticket t : bids) {
      if (!t.isBid()) throw new IllegalArgumentException("standing ticket " + t.requestId() + " is no bid");
      if (t.stampMicros() >= closeMicros) {
        throw new IllegalStateException("standing bid " + t.requestId() + " stamped " + t.stampMicros()
            + " at or after the close " + closeMicros);
      }
    }
  }

  /** An auction nobody has bid on: it closes at the event's end. */
  public static AuctionStanding fresh(EventSpec spec) {
    return new AuctionStanding(spec.endMicros(), List.of(), false);
  }

  /**
   * Best first: amount descending, then the earlier stamp, then the user's lottery draw under the
   * event's seed, then the request id: the order winners are ranked in, on every leader.
   */
  public static Comparator<Ticket> bestFirst(long tieBreakSeed) {
    return Comparator.comparingLong(Ticket::bidMinor).reversed()
        .thenComparingLong(Ticket::stampMicros)
        .thenComparingLong(t -> NearTieLottery.draw(tieBreakSeed, t))
        .thenComparing(Ticket::requestId);
  }

  /**
   * The standing an auction's stored decisions give (for audits of what the store holds): the
   * best {@code units} accepted bids, and the close the last answered bid was told.
   */
  public static AuctionStanding of(EventSpec spec, Iterable<Decision> decisions) {
    AuctionRules rules = spec.auction().orElseThrow(() -> new IllegalArgumentException(spec.eventId() + " is no auction"));
    TreeSet<Ticket> best = new TreeSet<>(bestFirst(spec.tieBreakSeed()));
    long close = spec.endMicros();
    for (Decision d : decisions) {
      if (d.bid().isEmpty()) continue; // back-dated: never judged
      close = d.bid().get().closeMicros();
      if (d.bid().get().answer() != BidAnswer.ACCEPTED) continue;
      best.add(d.ticket());
      if (best.size() > rules.units()) best.pollLast();
    }
    return new AuctionStanding(close, new ArrayList<>(best), false);
  }

  /** This standing with the result stored (or not). */
  public AuctionStanding withClosed(boolean isClosed) {
    return new AuctionStanding(closeMicros, bids, isClosed);
  }

  /** The result these bids give once the auction is closed. */
  public AuctionClose asClose(String eventId) {
    return new AuctionClose(eventId, closeMicros, bids);
  }

  private static final String SEPARATOR = "\n"; // in no request id

  /** The close and the standing bids' request ids, as one text field for the store. */
  public String text() {
    StringBuilder text = new StringBuilder(Long.toString(closeMicros));
    for (Ticket t : bids) text.append(SEPARATOR).append(t.requestId());
    return text.toString();
  }

  /** The close in {@link #text()}. */
  public static long closeMicros(String text) {
    return Long.parseLong(text.split(SEPARATOR, -1)[0]);
  }

  /** The standing bids' request ids in {@link #text()}, best first. */
  public static List<String> requestIds(String text) {
    String[] parts = text.split(SEPARATOR, -1);
    return List.of(parts).subList(1, parts.length);
  }
}
