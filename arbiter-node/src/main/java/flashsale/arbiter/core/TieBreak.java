package flashsale.arbiter.core;

import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;

/**
 * One event's global order of tickets outside near-ties: by stamp, then by the user's lottery draw
 * under the event's seed, then by request id. The draw decides equal stamps so that no region (and
 * no request id spelling) is favoured, and the seed is stored with the event so a new leader ranks
 * exactly as the old one did.
 *
 * <p>A draw is an HMAC, the dearest step of sequencing a ticket, so it is computed only when stamps
 * are equal: {@link #compare} of two differently stamped tickets never draws. Not thread-safe, like
 * the sequencer that owns it.
 */
final class TieBreak {

  private final NearTieLottery.EventDraws draws;

  TieBreak(long seed, String eventId) {
    this.draws = NearTieLottery.drawsOf(seed, eventId);
  }

  /** The ticket's lottery draw under the event's seed (see {@link NearTieLottery#draw}). */
  long draw(Ticket ticket) {
    if (!ticket.eventId().equals(draws.eventId())) {
      throw new IllegalStateException("ticket " + ticket.requestId() + " of " + ticket.eventId()
          + " drawn in event " + draws.eventId());
    }
    return draws.draw(ticket.userId());
  }

  /** Compares two places in the order: (stamp, draw, request id). */
  int compare(Ticket a, Ticket b) {
    int byStamp = Long.compare(a.stampMicros(), b.stampMicros());
    if (byStamp != 0) return byStamp;
    int byDraw = Long.compare(draw(a), draw(b));
    if (byDraw != 0) return byDraw;
    return a.requestId().compareTo(b.requestId());
  }
}
