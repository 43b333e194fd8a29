package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import flashsale.v1.GetEventRequest;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.Slot;
import flashsale.v1.SlotStatus;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reservations end to end over real gRPC: a near region and a far region 30 ms (one way) from the
 * arbiter on Redis, a zero-delay tap in front of each region as the truth of arrival. A burst from
 * both fills the slots in wire-arrival order: the assignment is serial dictatorship over the
 * decided order, and that order follows the wire except inside the near-tie band.
 */
class ReservationEndToEndTest {
  static final Map<String, Long> SLOTS = slots("18:00", 20, "19:00", 20, "20:00", 20);
  static final int PER_REGION = 60;
  /** Share of requests that must get the slot serial dictatorship over the wire order gives. */
  static final double SLOT_PRECISION = 0.9;
  static ClusterFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO), new RegionSpec("far", 30, Duration.ZERO)));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static Map<String, Long> slots(Object... nameThenCapacity) {
    Map<String, Long> slots = new LinkedHashMap<>();
    for (int i = 0; i < nameThenCapacity.length; i += 2) slots.put((String) nameThenCapacity[i], (long) (int) nameThenCapacity[i + 1]);
    return slots;
  }

  static Event.Builder reservation(String eventId, Map<String, Long> slots) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event.Builder event = Event.newBuilder().setEventId(eventId).setItem("dinner tables")
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 120_000_000L))
        .setPerUserLimit(2).addAllRegions(fx.cluster.regionNames()).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)
        .setKind(EventKind.EVENT_KIND_RESERVATION);
    slots.forEach((name, capacity) -> event.addSlots(Slot.newBuilder().setName(name).setCapacity(capacity)));
    return event;
  }

  static Event create(Event.Builder event) {
    return fx.admin().createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + event.getEventId())
        .setEvent(event).build()).getEvent();
  }

  static PurchaseRequest.Builder reserve(String eventId, String requestId, int quantity, String... slots) {
    return PurchaseRequest.newBuilder().setEventId(eventId).setUserId("u-" + requestId).setRequestId(requestId)
        .setQuantity(quantity).addAllSlots(List.of(slots));
  }

  static CompletableFuture<PurchaseDecision> send(String region, PurchaseRequest request) {
    CompletableFuture<PurchaseDecision> answer = new CompletableFuture<>();
    fx.asyncBuyer(region).withDeadlineAfter(30, TimeUnit.SECONDS).purchase(request, new StreamObserver<>() {
      @Override
      public void onNext(PurchaseResponse r) {
        answer.complete(r.getDecision());
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    return answer;
  }

  @Test
  void aBurstFromBothRegionsFillsTheSlotsInWireArrivalOrder() throws Exception {
    for (String leader : List.of("far", "near")) {
      String eventId = "tables-" + leader + "-first";
      Event created = create(reservation(eventId, SLOTS).setStock(0));
      assertEquals(60, created.getStock(), "a reservation's stock is its slots' total");
      // Both regions know the event before the burst: a region asked about an event it has not
      // heard of stamps that first purchase late (see README, Known limits), flash sale or not.
      for (String region : fx.cluster.regionNames()) {
        assertEquals(SLOTS.size(), fx.buyer(region).getEvent(GetEventRequest.newBuilder().setEventId(eventId).build())
            .getSlotsCount());
      }
      Random random = new Random(leader.hashCode());
      String follower = leader.equals("far") ? "near" : "far";
      // The leader's first quarter alone, then both regions interleaved, a request every 0.3 ms.
      List<String> mixed = new ArrayList<>(Collections.nCopies(PER_REGION, follower));
      mixed.addAll(Collections.nCopies(PER_REGION - PER_REGION / 4, leader));
      Collections.shuffle(mixed, random);
      List<String> senders = new ArrayList<>(Collections.nCopies(PER_REGION / 4, leader));
      senders.addAll(mixed);
      Map<String, CompletableFuture<PurchaseDecision>> answers = new LinkedHashMap<>();
      for (int i = 0; i < senders.size(); i++) {
        List<String> prefs = new ArrayList<>(SLOTS.keySet());
        Collections.shuffle(prefs, random);
        prefs = prefs.subList(0, 1 + random.nextInt(prefs.size()));
        String requestId = eventId + "-" + senders.get(i) + "-" + i;
        answers.put(requestId, send(senders.get(i), reserve(eventId, requestId, 1 + random.nextInt(2),
            prefs.toArray(String[]::new)).build()));
        java.util.concurrent.locks.LockSupport.parkNanos(300_000);
      }
      List<PurchaseDecision> decisions = new ArrayList<>();
      for (var answer : answers.values()) decisions.add(answer.get(30, TimeUnit.SECONDS));
      checkBurst(eventId, decisions, leader);
    }
  }

  /** Slot assignment = serial dictatorship over the decided order, which follows the wire outside the band. */
  private static void checkBurst(String eventId, List<PurchaseDecision> decisions, String leader) {
    decisions.sort(Comparator.comparingLong(PurchaseDecision::getRank));
    assertEquals(2 * PER_REGION, decisions.size());
    Map<String, Long> left = new HashMap<>(SLOTS);
    for (PurchaseDecision d : decisions) {
      String expected = d.getSlotsList().stream().filter(s -> left.get(s) >= d.getQuantity()).findFirst().orElse("");
      assertEquals(expected, d.getSlot(), "slot of " + d.getRequestId() + " at rank " + d.getRank());
      assertEquals(!expected.isEmpty(), d.getOutcome() == Outcome.OUTCOME_WON, d.toString());
      if (!expected.isEmpty()) left.merge(expected, (long) -d.getQuantity(), Long::sum);
    }
    // The arbiter's promise: nothing is decided after a request whose whole uncertainty interval
    // lies after its own, except a loss to a full event or a late ticket (ranked where it arrived).
    for (int i = 0; i < decisions.size(); i++) {
      for (int j = i + 1; j < decisions.size(); j++) {
        PurchaseDecision before = decisions.get(i);
        PurchaseDecision after = decisions.get(j);
        if (after.getLossReason() == LossReason.LOSS_REASON_SOLD_OUT || after.getLate()) continue;
        long beforeLower = Times.micros(before.getArrivalTime()) - micros(before.getArrivalUncertainty());
        long afterUpper = Times.micros(after.getArrivalTime()) + micros(after.getArrivalUncertainty());
        assertTrue(beforeLower <= afterUpper, before.getRequestId() + " (rank " + before.getRank() + ") decided before "
            + after.getRequestId() + " (rank " + after.getRank() + "), stamped provably earlier");
      }
    }
    // Against the wire (the taps): serial dictatorship over the order requests reached the regions.
    var wire = fx.cluster.wireLog();
    List<PurchaseDecision> byWire = new ArrayList<>(decisions);
    byWire.sort(Comparator.comparingLong(d -> wire.wireMicros(d.getRequestId()).orElseThrow()));
    Map<String, Long> room = new HashMap<>(SLOTS);
    int sameSlot = 0;
    for (PurchaseDecision d : byWire) {
      String slot = d.getSlotsList().stream().filter(s -> room.get(s) >= d.getQuantity()).findFirst().orElse("");
      if (!slot.isEmpty()) room.merge(slot, (long) -d.getQuantity(), Long::sum);
      if (slot.equals(d.getSlot())) sameSlot++;
    }
    Map<String, List<Long>> lagMicros = new HashMap<>();
    for (PurchaseDecision d : decisions) {
      lagMicros.computeIfAbsent(d.getRegion(), r -> new ArrayList<>())
          .add(Times.micros(d.getArrivalTime()) - wire.wireMicros(d.getRequestId()).orElseThrow());
    }
    lagMicros.values().forEach(Collections::sort);
    double precision = (double) sameSlot / decisions.size();
    System.out.printf("reservation burst (%s first): %d of %d requests got the slot serial dictatorship over the wire "
        + "order gives (%.3f); stamp lag max per region %s us; slots left %s%n", leader, sameSlot, decisions.size(),
        precision, lagMicros.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().getLast()).toList(), left);
    // As the flash-sale wire tests allow: near-ties inside the band, and a region's stamping lag on
    // this shared box, may move a few; the latency bias of a first-come store moves about a fifth.
    assertTrue(precision >= SLOT_PRECISION, "slot precision at the wire " + precision);
    PurchaseDecision first = decisions.get(0);
    assertEquals(leader, first.getRegion(), "the region whose buyers reached the wire first is decided first");
    assertEquals(Outcome.OUTCOME_WON, first.getOutcome());
    assertEquals(first.getSlotsList().get(0), first.getSlot(), "and gets its first choice");
    List<SlotStatus> shown = fx.admin().getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build())
        .getCounters().getSlotsList();
    for (SlotStatus slot : shown) assertEquals(left.get(slot.getName()), slot.getRemaining(), "admin view of " + slot);
    for (String region : List.of("near", "far")) {
      // A region shares one look-up among the buyers polling within --event-view-max-age-ms (100 ms).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      List<SlotStatus> view;
      do {
        view = fx.buyer(region).getEvent(GetEventRequest.newBuilder().setEventId(eventId).build()).getSlotsList();
      } while (!view.equals(shown) && System.nanoTime() < deadline);
      assertEquals(shown, view, "public view at " + region);
    }
    long winners = decisions.stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_WON).count();
    assertEquals(winners, fx.store.readOutbox(eventId).size(), "every winner in the outbox once");
  }

  @Test
  void aRetryGetsTheSameSlotAndOtherContentUnderTheSameRequestIdIsRefused() throws Exception {
    create(reservation("retry", slots("a", 1, "b", 1)));
    PurchaseDecision first = send("far", reserve("retry", "r1", 1, "a", "b").build()).get(30, TimeUnit.SECONDS);
    assertEquals("a", first.getSlot());
    assertEquals(first, send("near", reserve("retry", "r1", 1, "a", "b").build()).get(30, TimeUnit.SECONDS),
        "a retry through the other region gets the same decision");
    var reused = assertThrows(StatusRuntimeException.class, () -> fx.buyer("far")
        .purchase(reserve("retry", "r1", 1, "b").build()));
    assertEquals(Status.Code.ALREADY_EXISTS, reused.getStatus().getCode());
    assertEquals("REQUEST_ID_REUSED", Errors.reasonOf(reused).orElseThrow());
    PurchaseDecision second = send("near", reserve("retry", "r2", 1, "a").build()).get(30, TimeUnit.SECONDS);
    assertEquals(LossReason.LOSS_REASON_NO_SLOT_AVAILABLE, second.getLossReason(), "b had room, but r2 wanted only a");
    PurchaseDecision third = send("near", reserve("retry", "r3", 1, "a", "b").build()).get(30, TimeUnit.SECONDS);
    assertEquals("b", third.getSlot());
    PurchaseDecision fourth = send("far", reserve("retry", "r4", 1, "b").build()).get(30, TimeUnit.SECONDS);
    assertEquals(LossReason.LOSS_REASON_SOLD_OUT, fourth.getLossReason());
  }

  private static long micros(com.google.protobuf.Duration d) {
    return d.getSeconds() * 1_000_000 + d.getNanos() / 1_000;
  }

  static void assertFails(Status.Code code, String reason, String region, PurchaseRequest request) {
    var e = assertThrows(StatusRuntimeException.class,
        () -> fx.buyer(region).withDeadlineAfter(30, TimeUnit.SECONDS).purchase(request));
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(reason, Errors.reasonOf(e).orElse("<none>"), e.getStatus().toString());
  }

  @Test
  void badReservationsGetAClearStatus() {
    create(reservation("bad", slots("a", 2, "b", 2)));
    fx.createEvent("flash", 5, 0, 60_000);
    var invalid = Status.Code.INVALID_ARGUMENT;
    assertFails(invalid, "INVALID_FIELD", "near", reserve("bad", "x1", 1).build());
    assertFails(invalid, "INVALID_FIELD", "far", reserve("bad", "x2", 1, "zz").build());
    assertFails(invalid, "INVALID_FIELD", "near", reserve("bad", "x3", 1, "a", "a").build());
    assertFails(invalid, "INVALID_FIELD", "near", reserve("bad", "x4", 0, "a").build());
    assertFails(invalid, "INVALID_FIELD", "far", reserve("flash", "x5", 1, "a").build());
    var noSlots = assertThrows(StatusRuntimeException.class, () -> fx.buyer("near").purchase(reserve("bad", "x6", 1).build()));
    assertTrue(noSlots.getStatus().getDescription().contains("is a reservation"), noSlots.getStatus().toString());

    var sharded = assertThrows(StatusRuntimeException.class,
        () -> create(reservation("sharded", slots("a", 2)).setMode(EventMode.EVENT_MODE_SHARDED)));
    assertEquals(Status.Code.FAILED_PRECONDITION, sharded.getStatus().getCode());
    assertEquals("MODE_NOT_SUPPORTED", Errors.reasonOf(sharded).orElseThrow());
    var central = assertThrows(StatusRuntimeException.class,
        () -> create(reservation("central", slots("a", 2)).setMode(EventMode.EVENT_MODE_CENTRAL)));
    assertEquals(Status.Code.FAILED_PRECONDITION, central.getStatus().getCode());
    var empty = assertThrows(StatusRuntimeException.class, () -> create(reservation("empty", Map.of())));
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
    var wrongStock = assertThrows(StatusRuntimeException.class, () -> create(reservation("wrong", slots("a", 2)).setStock(3)));
    assertEquals(Status.Code.INVALID_ARGUMENT, wrongStock.getStatus().getCode());
    // The node still serves the event.
    assertEquals(Outcome.OUTCOME_WON, fx.buyer("near").withDeadlineAfter(30, TimeUnit.SECONDS)
        .purchase(reserve("bad", "ok", 1, "b").build()).getDecision().getOutcome());
  }

  @Test
  void theLoadGeneratorDrivesAReservationAndRecordsTheSlotsAskedAndWon() throws Exception {
    String eventId = "tables-loadgen";
    create(reservation(eventId, SLOTS));
    var regions = fx.cluster.regionNames().stream()
        .map(r -> new flashsale.client.load.RegionTarget(r, fx.channel(fx.cluster.regionTarget(r)))).toList();
    // 200 one-seat requests for 60 seats, all at once.
    var config = flashsale.client.load.LoadConfig.of(eventId, regions, 200, 200, Duration.ofSeconds(1),
        flashsale.client.load.ArrivalPattern.BURST);
    var records = new flashsale.client.load.LoadGenerator(config).run().records();

    assertEquals(200, records.size());
    Map<String, Long> left = new LinkedHashMap<>(SLOTS);
    int won = 0;
    // Serial dictatorship over the decided order: each winner holds the first slot it asked for
    // that still had a seat at its rank, and a loser found none of its slots with a seat.
    for (var r : records.stream().sorted(Comparator.comparingLong(flashsale.client.load.RequestRecord::orderRank)).toList()) {
      List<String> asked = List.of(r.slotsAsked().split(";"));
      assertTrue(asked.size() >= 1 && asked.size() <= 3 && asked.stream().allMatch(SLOTS::containsKey), r.toString());
      String expected = asked.stream().filter(slot -> left.get(slot) > 0).findFirst().orElse("");
      if (r.outcome() == flashsale.client.load.RecordOutcome.WON) {
        assertEquals(expected, r.slotWon(), "the first asked slot with a seat at its rank: " + r);
        left.merge(r.slotWon(), -1L, Long::sum);
        won++;
      } else {
        assertEquals(flashsale.client.load.RecordOutcome.LOST, r.outcome(), r.toString());
        assertEquals("", expected, "lost though a slot it asked for had a seat: " + r);
      }
    }
    assertTrue(won > 0 && won <= 60, "won " + won);
    System.out.printf("loadgen on a reservation: %d of 200 seated, seats left %s%n", won, left);
  }
}
