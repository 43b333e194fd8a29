package flashsale.sale;

import java.util.List;

/**
 * An auction's final result: its close time and the winning bids, best first (amount descending,
 * then earlier stamp, then the event's keyed hash).
 */
public record AuctionClose(String eventId, long closeMicros, List<Ticket> winners) {
  public AuctionClose {
    winners = List.copyOf(winners);
    for (int i = 0; i < winners.size(); i++) {
      Ticket t = winners.get(i);
      if (!t.isBid() || !t.eventId().equals(eventId)) throw new IllegalArgumentException("winner " + t + " of " + eventId);
      if (t.stampMicros() >= closeMicros) {
        throw new IllegalStateException("winner " + t.requestId() + " stamped " + t.stampMicros() + " at or after the close " + closeMicros);
      }
      if (i > 0 && winners.get(i - 1).bidMinor() < t.bidMinor()) {
        throw new IllegalStateException("winners of " + eventId + " not best first at " + t.requestId());
      }
    }
  }
}
