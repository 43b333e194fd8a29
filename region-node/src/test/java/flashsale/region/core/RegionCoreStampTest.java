package flashsale.region.core;

import static flashsale.region.core.Specs.buy;
import static flashsale.region.core.Specs.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.sale.Ticket;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A purchase read off the socket at t keeps t as its stamp although it reaches the region loop
 * later: watermarks taken meanwhile stay below it, and when another stamp did get ahead of it, the
 * push is added to its error bound, so the true arrival stays inside [stamp - bound, stamp + bound].
 * A node linked to an arbiter stamps nothing before its first welcome, and nothing at or below the
 * floor a welcome names.
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
    Ticket t = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1), readAt))
        .ticket();
    assertEquals(readAt, t.stampMicros(), "stamped at its read, not when the loop got to it");
    assertEquals(100 + 500, t.errorBoundMicros());
  }

  /**
   * A watermark reads its clock before it looks for unstamped reads: a read that begins while it
   * looks (here, 2 ms of the scan) reads the clock later, so the watermark stays below it. Read the
   * other way round, the watermark took the later time and passed that read.
   */
  @Test
  void aWatermarkReadsItsClockBeforeLookingForUnstampedReads() {
    FakeClock clock = new FakeClock(1_500_000);
    RegionCore core = new RegionCore(Specs.REGION, 100, 1000, clock, new StampUncertainty(100, 500, 0));
    AtomicLong readBegunDuringTheScan = new AtomicLong();
    core.unstampedReads(() -> {
      clock.advance(2_000);
      readBegunDuringTheScan.set(core.arrivalMicros()); // a reader, after the scan passed its lane
      return Long.MAX_VALUE;
    });
    long watermark = core.nextStamp();
    assertTrue(watermark < readBegunDuringTheScan.get(),
        "watermark " + watermark + " passed a read begun at " + readBegunDuringTheScan.get());
  }

  @Test
  void aStampPushedPastItsReadCarriesThePushInItsBound() {
    FakeClock clock = new FakeClock(1_500_000);
    RegionCore core = new RegionCore(Specs.REGION, 100, 1000, clock, new StampUncertainty(100, 500, 0));
    core.eventAnnounced(open("shoes"));
    long readAt = core.arrivalMicros();   // nobody told the core of this read (e.g. an event look-up first)
    clock.advance(3_000);
    core.nextStamp();                     // so a heartbeat got ahead of it
    Ticket t = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1), readAt))
        .ticket();
    assertTrue(t.stampMicros() > readAt);
    assertTrue(t.stampMicros() - t.errorBoundMicros() <= readAt,
        "read at " + readAt + ", stamped " + t.stampMicros() + " +- " + t.errorBoundMicros());
    assertEquals(1, core.stampsPushed(), "pushed 3 ms: counted for the operators' alert");
    core.purchase(buy("shoes", "bob", "r2", 1), core.arrivalMicros());
    assertEquals(1, core.stampsPushed(), "stamped at its read: not counted");
  }

  @Test
  void aLinkedNodeRefusesPurchasesUntilItsFirstWelcomeThenStampsAboveTheFloor() {
    FakeClock clock = new FakeClock(1_500_000);
    RegionCore core = new RegionCore(Specs.REGION, 100, 1000, clock, new StampUncertainty(100, 500, 0));
    core.eventAnnounced(open("shoes"));
    core.awaitWelcome();
    var refused = assertInstanceOf(Admission.Failed.class, core.purchase(buy("shoes", "alice", "r1", 1)));
    assertEquals(ErrorReason.ARBITER_UNAVAILABLE, refused.failure().reason(), "retryable: no arbiter ranks it yet");

    core.welcomed(1_502_000); // the arbiter released a ticket stamped 2 ms ahead of this node's clock
    Ticket t = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1))).ticket();
    assertEquals(1_502_001, t.stampMicros(), "stamped just above the floor, so it is not behind the order");
    assertTrue(core.nextStamp() > t.stampMicros());
    clock.advance(5_000);
    Ticket later = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "bob", "r2", 1))).ticket();
    assertEquals(1_505_000, later.stampMicros(), "once its clock passes the floor, the clock stamps again");

    core.welcomed(0); // a later welcome with no floor (nothing released) changes nothing
    assertTrue(core.nextStamp() > later.stampMicros());
  }
}
