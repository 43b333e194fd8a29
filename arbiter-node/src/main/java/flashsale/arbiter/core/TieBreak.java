package flashsale.arbiter.core;

import flashsale.sale.Ticket;

/**
 * The global order of tickets: by stamp, then by a hash of the request id keyed with the event's
 * tie-break seed, then by request id. The keyed hash decides equal stamps so that no region (and
 * no request id spelling) is favoured, and the seed is stored with the event so a new leader
 * ranks exactly as the old one did.
 */
final class TieBreak {

  private TieBreak() {}

  /** A 64-bit hash of {@code requestId} keyed by {@code seed}; a fixed function across JVMs. */
  static long hash(long seed, String requestId) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    long chunk = 0;
    int n = requestId.length();
    for (int i = 0; i < n; i++) {
      chunk = (chunk << 16) | requestId.charAt(i);
      if ((i & 3) == 3) {
        h = mix(h ^ chunk);
        chunk = 0;
      }
    }
    return mix(h ^ chunk ^ ((long) n << 48) ^ seed);
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

  /** The splitmix64 finalizer: every input bit flips each output bit with probability ~1/2. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
