package flashsale.arbiter.core;

/**
 * When an auction may close: once no bid stamped before its close can still come and count. A
 * region left out of the frontier for silence does not let the close pass without it (its bids
 * stamped before the close would be refused as after it); the close waits until every region of
 * the event has promised past it (a watermark or ticket stamp at or after it, or the {@link
 * AgeFloor}: a bid stamped before the close that came now would be refused as held back anyway),
 * unless the region has its clock flagged (its tickets are not ranked at all). With no age bound
 * configured (0), a silent region holds the close until it speaks again.
 * Nor may it close while a bid stamped before the close is still queued (not yet stable).
 */
final class AuctionCloseGate {
  private final AgeFloor ageFloor;

  AuctionCloseGate(AgeFloor ageFloor) {
    this.ageFloor = ageFloor;
  }

  boolean mayClose(long closeMicros, RegionCursor[] regions, RegionQueue[] queues, long nowMicros) {
    for (RegionQueue queue : queues) {
      if (!queue.isEmpty() && queue.head().stampMicros() < closeMicros) return false;
    }
    for (RegionCursor region : regions) {
      if (region.clockFlagged()) continue;
      if (region.placeholderOnly()) continue; // a named node of its region speaks for it (its own cursor is here)
      if (region.spoken() && region.watermarkMicros() >= closeMicros) continue;
      if (ageFloor.floorMicros(nowMicros) >= closeMicros) continue; // silent, or its watermark stands still
      return false;
    }
    return true;
  }
}
