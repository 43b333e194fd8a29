package flashsale.arbiter.core;

import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;

/**
 * The global order of tickets: by stamp, then by a hash of the request id keyed with the event's
 * tie-break seed, then by request id. The keyed hash decides equal stamps so that no region (and
 * no request id spelling) is favoured, and the seed is stored with the event so a new leader
 * ranks exactly as the old one did.
 */
final class TieBreak {

  private TieBreak() {}

  /** A 64-bit hash of {@code requestId} keyed by {@code seed}: the ticket's lottery draw. */
  static long hash(long seed, String requestId) {
    return NearTieLottery.draw(seed, requestId);
  }

  /** Compares two tickets whose keyed hashes are already known. */
  static int compare(Ticket a, long hashA, Ticket b, long hashB) {
    int byStamp = Long.compare(a.stampMicros(), b.stampMicros());
    if (byStamp != 0) return byStamp;
    int byHash = Long.compare(hashA, hashB);
    if (byHash != 0) return byHash;
    return a.requestId().compareTo(b.requestId());
  }

}
