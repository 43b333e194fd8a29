package flashsale.arbiter.core;

/**
 * When an auction may close: once no bid stamped before its close can still come and count. A
 * region left out of the frontier for silence does not let the close pass without it (its bids
 * stamped before the close would be refused as after it); the close waits until every region of
 * the event has promised past it (a watermark or ticket stamp at or after it), unless the region
 * <ul>
 *   <li>has its clock flagged: its tickets are not ranked at all, or
 *   <li>is silent past the region timeout and the arbiter's clock is past the close by the held-back
 *       bound (the ticket age bound plus the tolerated clock skew): a bid stamped before the close
 *       that came now would be refused as held back (STAMP_OUT_OF_BOUNDS) anyway. With no age
 *       bound configured (0), a silent region holds the close until it speaks again.
 * </ul>
 * Nor may it close while a bid stamped before the close is still queued (not yet stable).
 */
final class AuctionCloseGate {
  /** Past the close by this much, a silent region is gone for the close; 0 for never. */
  private final long heldBackBoundMicros;

  AuctionCloseGate(SequencerConfig config) {
    this.heldBackBoundMicros = config.maxTicketAgeMicros() > 0
        ? config.maxTicketAgeMicros() + config.maxClockSkewMicros() : 0;
  }

  boolean mayClose(long closeMicros, RegionCursor[] regions, RegionQueue[] queues, long nowMicros) {
    for (RegionQueue queue : queues) {
      if (!queue.isEmpty() && queue.head().stampMicros() < closeMicros) return false;
    }
    for (RegionCursor region : regions) {
      if (region.clockFlagged()) continue;
      if (region.placeholderOnly()) continue; // a named node of its region speaks for it (its own cursor is here)
      if (region.spoken() && region.watermarkMicros() >= closeMicros) continue;
      if (region.excluded() && gone(closeMicros, nowMicros)) continue;
      return false;
    }
    return true;
  }

  private boolean gone(long closeMicros, long nowMicros) {
    return heldBackBoundMicros > 0 && nowMicros - heldBackBoundMicros > closeMicros;
  }
}
