package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.EventAnnouncement;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Ticket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A purchase of an event the region has not heard of waits for a look-up at the arbiter. Its
 * stamp is still its read time when the answer (or the event's announcement on the stream) comes
 * within the hold's cap, and a purchase of the event read after it never goes first (which would
 * push its stamp past the later one's).
 */
class EventLookupOrderTest extends RegionFixtureTest {

  @Test
  void aPurchaseWaitingForItsEventKeepsItsReadTimeAndItsPlace() throws Exception {
    var event = RegionFixture.event("boots", Duration.ofHours(-1), Duration.ofHours(1), List.of(RegionFixture.REGION, "us"));
    f.arbiter.lookupOnly.put("boots", event);
    var lookups = new CountDownLatch(1);
    f.arbiter.lookupsHeld = lookups; // the arbiter is slow to answer the look-up
    try {
      long beforeFirst = RegionFixture.micros(java.time.Instant.now());
      var first = f.purchase("boots", "alice", "r1", 1);
      Thread.sleep(30);
      // The arbiter announces the event on the stream meanwhile, as it does when an event is created.
      f.stream.send(SequenceResponse.newBuilder().setEventAnnouncement(EventAnnouncement.newBuilder().setEvent(event)).build());
      Thread.sleep(30);
      long beforeSecond = RegionFixture.micros(java.time.Instant.now());
      var second = f.purchase("boots", "bob", "r2", 1);

      Ticket a = f.stream.nextTicket();
      Ticket b = f.stream.nextTicket();
      assertEquals(List.of("r1", "r2"), List.of(a.getRequestId(), b.getRequestId()), "tickets in read order");
      assertTrue(a.getArrivalMicros() < beforeSecond,
          "the waiting purchase was stamped " + (a.getArrivalMicros() - beforeFirst) + " us after its send, behind the later one");
      assertTrue(a.getArrivalMicros() < b.getArrivalMicros(), "stamps in read order");
      assertTrue(!first.isDone() && !second.isDone(), "both pending at the arbiter");
    } finally {
      lookups.countDown();
    }
  }
}
