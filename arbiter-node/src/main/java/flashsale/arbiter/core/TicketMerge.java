package flashsale.arbiter.core;

import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;
import java.util.HashSet;
import java.util.Set;

/**
 * The merge over one event's region queues: picks the next ticket in global order among the
 * queues' heads and releases it once no ticket still to come could go before it.
 *
 * <p>Order between heads of different regions: when their uncertainty intervals overlap they are a
 * near-tie and the event's lottery draws their order ({@link NearTieLottery}); otherwise the earlier
 * stamp goes first (equal stamps only happen inside a band, so the keyed hash decides only resends
 * within one region). Within a region, its own stream order always holds. Heads are scanned in the
 * event's region order, so the choice is a function of the heads alone, whatever the arrival timing.
 *
 * <p>Stability: a head {@code c} may go once every other region whose queue is empty has promised
 * (its watermark) nothing at or below {@code c.stamp + c.bound + maxBound}: a later ticket from it
 * then lies beyond any band it could share with {@code c}. Regions with a queued head were compared
 * directly. A scan costs O(regions); events have a handful.
 */
final class TicketMerge {
  private final RegionQueue[] queues;
  private final long maxErrorBoundMicros;
  private long polledHash;
  private boolean polledNearTie;
  /** Request ids of heads that lost a draw and are still queued: their place was settled by the lottery too. */
  private final Set<String> lostDraws = new HashSet<>();

  /**
   * @param queues the event's region queues, whose cached head hashes are keyed by the event's seed
   * @param maxErrorBoundMicros the largest uncertainty any admitted ticket may carry
   */
  TicketMerge(RegionQueue[] queues, long maxErrorBoundMicros) {
    this.queues = queues;
    this.maxErrorBoundMicros = maxErrorBoundMicros;
  }

  /**
   * The next ticket in global order if it is stable, removed from its queue; else null.
   *
   * @param watermarkMicros per queue, its region's watermark, or {@link Long#MAX_VALUE} for a region
   *     left out of the frontier (not waited for)
   */
  Ticket pollStable(long[] watermarkMicros) {
    int first = -1;
    for (int i = 0; i < queues.length; i++) {
      if (queues[i].isEmpty()) continue;
      if (first < 0 || goesBefore(i, first)) first = i;
    }
    if (first < 0) return null;
    Ticket candidate = queues[first].head();
    if (watermarkMicros[first] < candidate.stampMicros()) return null;
    long othersMustPassMicros = candidate.stampMicros() + candidate.errorBoundMicros() + maxErrorBoundMicros;
    for (int j = 0; j < queues.length; j++) {
      if (j != first && queues[j].isEmpty() && watermarkMicros[j] < othersMustPassMicros) return null;
    }
    boolean nearTie = lostDraws.remove(candidate.requestId());
    for (int j = 0; j < queues.length; j++) {
      if (j != first && !queues[j].isEmpty() && NearTieLottery.nearTie(candidate, queues[j].head())) {
        nearTie = true;
        lostDraws.add(queues[j].head().requestId());
      }
    }
    polledHash = queues[first].headHash();
    polledNearTie = nearTie;
    return queues[first].poll();
  }

  /** The keyed hash of the ticket the last {@link #pollStable} returned. */
  long polledHash() {
    return polledHash;
  }

  /** True when the lottery placed the last polled ticket against another region's ticket (won or lost the draw). */
  boolean polledNearTie() {
    return polledNearTie;
  }

  private boolean goesBefore(int a, int b) {
    Ticket ta = queues[a].head();
    Ticket tb = queues[b].head();
    if (NearTieLottery.nearTie(ta, tb)) {
      // The draw: the lower keyed hash goes first (NearTieLottery.drawsFirst, hashes cached).
      int byDraw = Long.compare(queues[a].headHash(), queues[b].headHash());
      return byDraw != 0 ? byDraw < 0 : ta.requestId().compareTo(tb.requestId()) < 0;
    }
    return TieBreak.compare(ta, queues[a].headHash(), tb, queues[b].headHash()) < 0;
  }
}
