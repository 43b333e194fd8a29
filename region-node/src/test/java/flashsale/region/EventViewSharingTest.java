package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.v1.Event;
import flashsale.v1.EventAnnouncement;
import flashsale.v1.EventKind;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetEventResponse;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Slot;
import flashsale.v1.SlotStatus;
import com.google.common.util.concurrent.ListenableFuture;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Buyers polling a reservation's slots: one LookupEvent at the arbiter serves every GetEvent asked
 * while it is open or within {@code --event-view-max-age-ms} of its answer, so a crowd of pollers
 * costs the arbiter's store one read per interval, and each still sees the slots as last read.
 */
class EventViewSharingTest {
  static final int POLLERS = 200;

  private static Event rooms() {
    return RegionFixture.event("rooms", Duration.ofHours(-1), Duration.ofHours(1), List.of(RegionFixture.REGION, "us"))
        .toBuilder().setKind(EventKind.EVENT_KIND_RESERVATION).setStock(5)
        .addSlots(Slot.newBuilder().setName("10am").setCapacity(5)).build();
  }

  private static List<SlotStatus> left(long remaining) {
    return List.of(SlotStatus.newBuilder().setName("10am").setCapacity(5).setRemaining(remaining).build());
  }

  private static RegionFixture withReservation(long maxAgeMs) throws Exception {
    RegionFixture f = new RegionFixture(RegionFixture.config().eventViewMaxAgeMs(maxAgeMs).build(), InstantSource.system());
    f.stream.send(SequenceResponse.newBuilder().setEventAnnouncement(EventAnnouncement.newBuilder().setEvent(rooms())).build());
    f.arbiter.lookupOnly.put("rooms", rooms());
    f.arbiter.slotsLeft.put("rooms", left(3));
    // The first poll may also look the event up, should the announcement not have reached the loop yet.
    assertEquals(left(3), f.blocking().getEvent(get()).getSlotsList());
    f.arbiter.lookupCalls.set(0);
    return f;
  }

  private static GetEventRequest get() {
    return GetEventRequest.newBuilder().setEventId("rooms").build();
  }

  @Test
  void pollersWithinTheMaxAgeShareOneLookUpAndSeeTheSlotsAsLastRead() throws Exception {
    try (RegionFixture f = withReservation(60_000)) {
      List<ListenableFuture<GetEventResponse>> polls = new ArrayList<>();
      for (int i = 0; i < POLLERS; i++) polls.add(f.future().getEvent(get()));
      for (var poll : polls) assertEquals(left(3), poll.get(10, TimeUnit.SECONDS).getSlotsList());
      assertEquals(0, f.arbiter.lookupCalls.get(), POLLERS + " polls within the max age of the first one's look-up");

      f.arbiter.slotsLeft.put("rooms", left(2)); // a unit was taken: not shown until the view is older than 60 s
      assertEquals(left(3), f.blocking().getEvent(get()).getSlotsList());
      assertEquals(0, f.arbiter.lookupCalls.get());
    }
  }

  @Test
  void withNoMaxAgePollersShareOnlyTheOpenLookUpAndTheNextOneReadsAgain() throws Exception {
    try (RegionFixture f = withReservation(0)) {
      CountDownLatch held = new CountDownLatch(1);
      f.arbiter.lookupsHeld = held;
      List<ListenableFuture<GetEventResponse>> polls = new ArrayList<>();
      for (int i = 0; i < POLLERS; i++) polls.add(f.future().getEvent(get()));
      // In process on direct executors, each call above has posted its task to the region loop
      // before returning, so all 200 are queued ahead of the look-up's answer, which the loop gets
      // only after the release below.
      RegionFixture.await("the look-up is open", () -> f.arbiter.lookupCalls.get() == 1);
      held.countDown();
      for (var poll : polls) assertEquals(left(3), poll.get(10, TimeUnit.SECONDS).getSlotsList());
      assertEquals(1, f.arbiter.lookupCalls.get(), POLLERS + " polls while one look-up was open");

      f.arbiter.lookupsHeld = null;
      f.arbiter.slotsLeft.put("rooms", left(2));
      assertEquals(left(2), f.blocking().getEvent(get()).getSlotsList(), "read again once answered");
      assertEquals(2, f.arbiter.lookupCalls.get());
    }
  }
}
