package flashsale.arbiter.core;

import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;
import java.util.HashSet;
import java.util.Set;

/**
 * The merge over one event's queues, one per stream source (a region node; one region may run several): picks the next ticket in global order among the
 * queues' heads and releases it once no ticket still to come could go before it.
 *
 * <p>Order: a ticket is <em>provably before</em> another when its whole uncertainty interval lies
 * before the other's. A head may go next only if no queued ticket of another region is provably
 * before it (a candidate); the candidates are then pairwise near-ties, and the lowest lottery draw
 * among them goes ({@link NearTieLottery}). Provably-before is an interval order, so some head is
 * always a candidate, and no ticket is ever released ahead of one provably earlier: outside the
 * band the earlier stamp always wins, whatever the number of regions. Within a region its own
 * stream order holds. With exact stamps (bound 0) this is stamp order, equal stamps by draw.
 *
 * <p>Stability: a candidate {@code c} may go once every other region whose queue is empty has
 * promised (its watermark) nothing at or below {@code c.stamp + c.bound + maxBound}: a later ticket
 * from it then lies beyond any band it could share with {@code c}. A region with tickets queued must
 * have promised past {@code c.stamp - c.bound}: its later tickets come after its head, but with
 * bounds of their own, which may be smaller, so one could otherwise lie wholly before {@code c}.
 * A scan costs O(regions) plus the queued tickets inside the band.
 */
final class TicketMerge {
  private RegionQueue[] queues;
  private final long maxErrorBoundMicros;
  private boolean polledNearTie;
  /** Request ids of heads that lost a draw and are still queued: their place was settled by the lottery too. */
  private final Set<String> lostDraws = new HashSet<>();

  /**
   * @param queues the event's region queues, which cache their heads' draws
   * @param maxErrorBoundMicros the largest uncertainty any admitted ticket may carry
   */
  TicketMerge(RegionQueue[] queues, long maxErrorBoundMicros) {
    this.queues = queues;
    this.maxErrorBoundMicros = maxErrorBoundMicros;
  }

  /** The event's queues from now on: the old ones, in order, and a new source's after them. */
  void sources(RegionQueue[] grown) {
    if (grown.length < queues.length) throw new IllegalStateException("a source's queue left the merge");
    this.queues = grown;
  }

  /**
   * The next ticket in global order if it is stable, removed from its queue; else null.
   *
   * @param watermarkMicros per queue, its region's watermark, or {@link Long#MAX_VALUE} for a region
   *     left out of the frontier (not waited for)
   */
  Ticket pollStable(long[] watermarkMicros) {
    int first = -1;
    boolean anyQueued = false;
    for (int i = 0; i < queues.length; i++) {
      if (queues[i].isEmpty()) continue;
      anyQueued = true;
      if (provablyPreceded(i)) continue;
      if (first < 0 || drawsBefore(i, first)) first = i;
    }
    if (!anyQueued) return null;
    if (first < 0) throw new IllegalStateException("no head is a candidate: provably-before has a cycle");
    Ticket candidate = queues[first].head();
    if (watermarkMicros[first] < candidate.stampMicros()) return null;
    long othersMustPassMicros = candidate.stampMicros() + candidate.errorBoundMicros() + maxErrorBoundMicros;
    long lowerEdgeMicros = candidate.stampMicros() - candidate.errorBoundMicros();
    for (int j = 0; j < queues.length; j++) {
      if (j == first) continue;
      if (queues[j].isEmpty() ? watermarkMicros[j] < othersMustPassMicros : watermarkMicros[j] < lowerEdgeMicros) {
        // A queued region's next ticket comes after its head, but may carry a smaller bound (its
        // bounds shrink: a first clock probe, a burst's pushed reads draining) and so lie wholly
        // before the candidate though its head does not: wait until it promised past the lower edge.
        return null;
      }
    }
    boolean nearTie = !lostDraws.isEmpty() && lostDraws.remove(candidate.requestId());
    for (int j = 0; j < queues.length; j++) {
      if (j != first && !queues[j].isEmpty() && NearTieLottery.nearTie(candidate, queues[j].head())) {
        nearTie = true;
        lostDraws.add(queues[j].head().requestId());
      }
    }
    polledNearTie = nearTie;
    return queues[first].poll();
  }

  /** True when the lottery placed the last polled ticket against another region's ticket (won or lost the draw). */
  boolean polledNearTie() {
    return polledNearTie;
  }

  /** True when some queued ticket of another region lies wholly before queue {@code i}'s head. */
  private boolean provablyPreceded(int i) {
    Ticket head = queues[i].head();
    long lowerEdgeMicros = head.stampMicros() - head.errorBoundMicros();
    for (int j = 0; j < queues.length; j++) {
      if (j != i && queues[j].anyEndsBefore(lowerEdgeMicros)) return true;
    }
    return false;
  }

  /** Between two candidates (near-ties of each other): the lower draw, then the lower request id. */
  private boolean drawsBefore(int a, int b) {
    int byDraw = Long.compare(queues[a].headDraw(), queues[b].headDraw());
    if (byDraw != 0) return byDraw < 0;
    int byStamp = Long.compare(queues[a].head().stampMicros(), queues[b].head().stampMicros());
    if (byStamp != 0) return byStamp < 0; // one user's tickets in two regions: the earlier first
    return queues[a].head().requestId().compareTo(queues[b].head().requestId()) < 0;
  }
}
