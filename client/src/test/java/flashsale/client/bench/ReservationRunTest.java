package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reservation demo's judge: serial dictatorship over the wire order, and over a central store's. */
class ReservationRunTest {
  private static final Map<String, Long> SLOTS = new LinkedHashMap<>(Map.of("a", 2L));

  static {
    SLOTS.put("b", 1L);
  }

  private static ReservationRun.Request request(String id, String region, long wireMicros, int seats, String decided,
      String... slots) {
    return new ReservationRun.Request(id, region, List.of(slots), seats, wireMicros, decided, wireMicros + 100);
  }

  @Test
  void theFarRegionsEarlierRequestsGetTheirSlotsAtTheWireButNotAtACentralStore() {
    // far reached its region first (t=0, 1), near 5 ms later; far is 30 ms from a central store.
    var requests = List.of(
        request("far-1", "far", 0, 2, "a", "a", "b"),
        request("far-2", "far", 1_000, 1, "b", "b"),
        request("near-1", "near", 5_000, 1, "", "a", "b"),
        request("near-2", "near", 6_000, 1, "", "b"));
    var figures = ReservationRun.judge(requests, SLOTS, Map.of("near", 1L, "far", 30L));

    assertEquals(4, figures.decidedAsWire(), "every decided slot is the wire order's");
    assertEquals(1.0, figures.precision());
    assertEquals(Map.of("far", 3L, "near", 0L), figures.seatsByWire());
    // The central store hears near first: near-1 takes a, near-2 takes b, far-1 (2 seats) finds no room.
    assertEquals(Map.of("far", 0L, "near", 2L), figures.seatsCentral());
    assertEquals(0, figures.centralAsWire());
    assertEquals(2, figures.seatedByWire());
    assertEquals(1.0, figures.seatedPrecision());
    assertEquals(0.0, figures.centralSeatedPrecision());
    assertEquals(Map.of("far", 100L, "near", 100L), figures.maxStampLagMicros());
  }

  @Test
  void aDecisionOtherThanTheWireOrdersCountsAgainstPrecision() {
    var requests = List.of(
        request("x", "near", 0, 1, "b", "a", "b"), // the wire order gives a
        request("y", "far", 10, 1, "a", "a"));
    var figures = ReservationRun.judge(requests, SLOTS, Map.of());
    assertEquals(1, figures.decidedAsWire()); // y still gets a (a has 2 seats)
    assertEquals(0.5, figures.precision());
  }
}
