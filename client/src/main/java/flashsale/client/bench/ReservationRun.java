package flashsale.client.bench;

import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.Slot;
import flashsale.wire.Times;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * One reservation burst through GLOBAL_ORDER, judged against the wire: every request names 1 to
 * all of the slots in a random order of preference and asks for 1 or 2 seats; the fair answer is
 * serial dictatorship over the order the requests reached their regions (the taps). The same rule
 * over the order they would reach a first-come central store (wire time plus the region's one-way
 * delay) is computed beside it, as the baseline a single store in one data center gives.
 */
public final class ReservationRun {
  private ReservationRun() {}

  /** One request as sent and answered, with its wire arrival. */
  record Request(String requestId, String region, List<String> slots, int quantity, long wireMicros, String decidedSlot,
      long stampMicros) {}

  /**
   * What the burst gave. Seats per region are units won: as decided, as wire-order serial
   * dictatorship gives, and as the central-store order gives.
   */
  public record Figures(int requests, int decidedAsWire, int centralAsWire, int seatedByWire, int seatedByBoth,
      int seatedByWireAndCentral, Map<String, Long> seatsDecided,
      Map<String, Long> seatsByWire, Map<String, Long> seatsCentral, Map<String, Long> maxStampLagMicros,
      Map<String, Long> slots) {

    public double precision() {
      return requests == 0 ? 0 : (double) decidedAsWire / requests;
    }

    public double centralPrecision() {
      return requests == 0 ? 0 : (double) centralAsWire / requests;
    }

    /** Of the requests the wire order seats, the share that was seated (the reservation's winner precision). */
    public double seatedPrecision() {
      return seatedByWire == 0 ? 0 : (double) seatedByBoth / seatedByWire;
    }

    public double centralSeatedPrecision() {
      return seatedByWire == 0 ? 0 : (double) seatedByWireAndCentral / seatedByWire;
    }

    public List<String> describe() {
      return List.of(
          String.format(java.util.Locale.ROOT, "RESERVATION (GLOBAL_ORDER): %d requests into slots %s; of the %d the wire"
              + " order seats, %d were seated (precision %.3f); %d of %d (%.3f) got exactly the slot (or the loss) serial"
              + " dictatorship over the wire order gives", requests, slots, seatedByWire, seatedByBoth, seatedPrecision(),
              decidedAsWire, requests, precision()),
          String.format(java.util.Locale.ROOT, "  seats won per region: decided %s, by the wire %s; stamp lag max %s µs",
              seatsDecided, seatsByWire, maxStampLagMicros),
          String.format(java.util.Locale.ROOT, "  a first-come central store (computed from the same wire times plus each"
              + " region's one-way delay) would seat %d of those %d (precision %.3f), the same answer for %d of %d (%.3f),"
              + " seats %s", seatedByWireAndCentral, seatedByWire, centralSeatedPrecision(), centralAsWire, requests,
              centralPrecision(), seatsCentral));
    }
  }

  /**
   * Creates reservation {@code eventId} with {@code slots}, sends {@code plan} (each send's slots
   * and seats drawn from {@code seed}), and judges the answers.
   *
   * @param oneWayDelayMillis each region's one-way delay to the arbiter (and to a central store)
   */
  public static Figures run(Channel admin, BurstDriver driver, String eventId, Map<String, Long> slots, List<String> regions,
      BurstPlan plan, long seed, ToLongFunction<String> wireMicros, Map<String, Long> oneWayDelayMillis)
      throws InterruptedException {
    createEvent(admin, eventId, slots, regions);
    Random random = new Random(seed);
    Map<String, List<String>> prefs = new HashMap<>();
    Map<String, Integer> seats = new HashMap<>();
    for (BurstPlan.Send send : plan.sends()) {
      List<String> order = new ArrayList<>(slots.keySet());
      Collections.shuffle(order, random);
      prefs.put(send.requestId(), List.copyOf(order.subList(0, 1 + random.nextInt(order.size()))));
      seats.put(send.requestId(), 1 + random.nextInt(2));
    }
    Map<String, PurchaseDecision> decisions = new ConcurrentHashMap<>();
    driver.run(plan, send -> PurchaseRequest.newBuilder().setEventId(eventId).setUserId(send.userId())
        .setRequestId(send.requestId()).setQuantity(seats.get(send.requestId())).addAllSlots(prefs.get(send.requestId())).build(),
        (send, decision) -> decisions.put(send.requestId(), decision));
    List<Request> requests = new ArrayList<>();
    for (BurstPlan.Send send : plan.sends()) {
      PurchaseDecision d = decisions.get(send.requestId());
      long wire = wireMicros.applyAsLong(send.requestId());
      if (d == null || wire == 0) continue; // failed, or never seen at the tap: cannot be judged
      requests.add(new Request(send.requestId(), send.region(), prefs.get(send.requestId()), seats.get(send.requestId()),
          wire, d.getSlot(), Times.micros(d.getArrivalTime())));
    }
    return judge(requests, slots, oneWayDelayMillis);
  }

  /** Serial dictatorship over the wire order and over the central-store order, against what was decided. */
  static Figures judge(List<Request> requests, Map<String, Long> slots, Map<String, Long> oneWayDelayMillis) {
    Map<String, String> byWire = dictatorship(requests, Comparator.comparingLong(Request::wireMicros), slots);
    Map<String, String> central = dictatorship(requests,
        Comparator.comparingLong(r -> r.wireMicros() + oneWayDelayMillis.getOrDefault(r.region(), 0L) * 1_000L), slots);
    int decidedAsWire = 0;
    int centralAsWire = 0;
    int seatedByWire = 0;
    int seatedByBoth = 0;
    int seatedByWireAndCentral = 0;
    Map<String, Long> seatsDecided = new TreeMap<>();
    Map<String, Long> seatsByWire = new TreeMap<>();
    Map<String, Long> seatsCentral = new TreeMap<>();
    Map<String, Long> lag = new TreeMap<>();
    for (Request r : requests) {
      String fair = byWire.get(r.requestId());
      if (fair.equals(r.decidedSlot())) decidedAsWire++;
      if (fair.equals(central.get(r.requestId()))) centralAsWire++;
      if (!fair.isEmpty()) {
        seatedByWire++;
        if (!r.decidedSlot().isEmpty()) seatedByBoth++;
        if (!central.get(r.requestId()).isEmpty()) seatedByWireAndCentral++;
      }
      seatsDecided.merge(r.region(), r.decidedSlot().isEmpty() ? 0L : r.quantity(), Long::sum);
      seatsByWire.merge(r.region(), fair.isEmpty() ? 0L : r.quantity(), Long::sum);
      seatsCentral.merge(r.region(), central.get(r.requestId()).isEmpty() ? 0L : r.quantity(), Long::sum);
      lag.merge(r.region(), r.stampMicros() - r.wireMicros(), Math::max);
    }
    return new Figures(requests.size(), decidedAsWire, centralAsWire, seatedByWire, seatedByBoth, seatedByWireAndCentral,
        seatsDecided, seatsByWire, seatsCentral, lag,
        new LinkedHashMap<>(slots));
  }

  /** Each request in {@code order} gets the first slot on its list with room for all its seats, or none (""). */
  static Map<String, String> dictatorship(List<Request> requests, Comparator<Request> order, Map<String, Long> slots) {
    Map<String, Long> room = new HashMap<>(slots);
    Map<String, String> slotOf = new HashMap<>();
    for (Request r : requests.stream().sorted(order).toList()) {
      String slot = r.slots().stream().filter(s -> room.get(s) >= r.quantity()).findFirst().orElse("");
      if (!slot.isEmpty()) room.merge(slot, (long) -r.quantity(), Long::sum);
      slotOf.put(r.requestId(), slot);
    }
    return slotOf;
  }

  private static void createEvent(Channel admin, String eventId, Map<String, Long> slots, List<String> regions)
      throws InterruptedException {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event.Builder event = Event.newBuilder().setEventId(eventId).setItem("dinner tables")
        .setStartTime(Times.timestamp(nowMicros - 1_000_000)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(2).addAllRegions(regions).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)
        .setKind(EventKind.EVENT_KIND_RESERVATION);
    slots.forEach((name, capacity) -> event.addSlots(Slot.newBuilder().setName(name).setCapacity(capacity)));
    EventAdminServiceGrpc.newBlockingStub(admin)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
    Thread.sleep(200); // the announcement reaches every region, however far
  }
}
