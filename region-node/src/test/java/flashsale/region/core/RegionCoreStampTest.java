package flashsale.region.core;

import static flashsale.region.core.Specs.buy;
import static flashsale.region.core.Specs.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Ticket;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A purchase read off the socket at t keeps t as its stamp although it reaches the region loop
 * later: watermarks taken meanwhile stay below it, and when another stamp did get ahead of it, the
 * push is added to its error bound, so the true arrival stays inside [stamp - bound, stamp + bound].
 */
class RegionCoreStampTest {

  @Test
  void aWatermarkTakenWhileAPurchaseIsInFlightStaysBelowItsRead() {
    FakeClock clock = new FakeClock(1_500_000);
    RegionCore core = new RegionCore(Specs.REGION, 100, 1000, clock, new StampUncertainty(100, 500, 0));
    core.eventAnnounced(open("shoes"));
    AtomicLong oldestUnstamped = new AtomicLong(Long.MAX_VALUE);
    core.unstampedReads(oldestUnstamped::get);
    long readAt = core.arrivalMicros();   // event loop: bytes read off the socket
    oldestUnstamped.set(readAt);
    clock.advance(3_000);                 // the call waits for the loop during a burst
    long watermark = core.nextStamp();    // a heartbeat tick meanwhile
    assertTrue(watermark < readAt, "watermark " + watermark + " passed the unstamped read " + readAt);
    Ticket t = assertInstanceOf(PurchaseResult.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1), readAt))
        .ticket();
    assertEquals(readAt, t.stampMicros(), "stamped at its read, not when the loop got to it");
    assertEquals(100 + 500, t.errorBoundMicros());
  }

  @Test
  void aStampPushedPastItsReadCarriesThePushInItsBound() {
    FakeClock clock = new FakeClock(1_500_000);
    RegionCore core = new RegionCore(Specs.REGION, 100, 1000, clock, new StampUncertainty(100, 500, 0));
    core.eventAnnounced(open("shoes"));
    long readAt = core.arrivalMicros();   // nobody told the core of this read (e.g. an event look-up first)
    clock.advance(3_000);
    core.nextStamp();                     // so a heartbeat got ahead of it
    Ticket t = assertInstanceOf(PurchaseResult.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1), readAt))
        .ticket();
    assertTrue(t.stampMicros() > readAt);
    assertTrue(t.stampMicros() - t.errorBoundMicros() <= readAt,
        "read at " + readAt + ", stamped " + t.stampMicros() + " +- " + t.errorBoundMicros());
  }
}
