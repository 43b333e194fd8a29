package flashsale.arbiter.core;

import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;

/**
 * The global order of tickets outside near-ties: by stamp, then by the user's lottery draw under the
 * event's seed, then by request id. The draw decides equal stamps so that no region (and no
 * request id spelling) is favoured, and the seed is stored with the event so a new leader ranks
 * exactly as the old one did.
 */
final class TieBreak {

  private TieBreak() {}

  /** The ticket's lottery draw under the event's seed (see {@link NearTieLottery#draw}). */
  static long hash(long seed, Ticket ticket) {
    return NearTieLottery.draw(seed, ticket);
  }

  /** Compares two tickets whose keyed hashes are already known. */
  static int compare(Ticket a, long hashA, Ticket b, long hashB) {
    return compare(a.stampMicros(), hashA, a.requestId(), b.stampMicros(), hashB, b.requestId());
  }

  /** Compares two places in the order: (stamp, keyed hash, request id). */
  static int compare(long stampA, long hashA, String requestIdA, long stampB, long hashB, String requestIdB) {
    int byStamp = Long.compare(stampA, stampB);
    if (byStamp != 0) return byStamp;
    int byHash = Long.compare(hashA, hashB);
    if (byHash != 0) return byHash;
    return requestIdA.compareTo(requestIdB);
  }

}
