package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.RegionStatus;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A region whose clock runs 50 ms ahead (the arbiter tolerates 5 ms): its offset is measured on
 * the stream, it is flagged, its buyers get UNAVAILABLE CLOCK_SKEW (so they retry at another
 * region), and the other region keeps selling.
 */
class SkewedClockEndToEndTest {
  static ClusterFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("good", 0, Duration.ZERO), new RegionSpec("skewed", 0, Duration.ofMillis(50))));
    fx.createEvent("skew", 10, 0, 60_000);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static RegionStatus status(String region) {
    return fx.admin().listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList().stream()
        .filter(r -> r.getRegion().equals(region))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aSkewedRegionIsFlaggedAndRefusedWhileTheOthersSell() throws Exception {
    long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!status("skewed").getClockFlagged()) {
      assertTrue(System.nanoTime() < deadlineNanos, "the skewed region was never flagged: " + status("skewed"));
      Thread.sleep(50);
    }
    RegionStatus skewed = status("skewed");
    long offsetMicros = skewed.getClockOffset().getSeconds() * 1_000_000 + skewed.getClockOffset().getNanos() / 1000;
    long roundTripMicros = skewed.getClockRoundTrip().getSeconds() * 1_000_000 + skewed.getClockRoundTrip().getNanos() / 1000;
    // NTP-style: the true offset lies within half the probe's round trip of the measured one
    assertTrue(
        Math.abs(offsetMicros - 50_000) <= roundTripMicros / 2 + 1_000,
        "measured offset " + offsetMicros + " us, round trip " + roundTripMicros + " us, true offset 50000 us");
    assertTrue(!status("good").getClockFlagged(), "the good region is trusted");

    var refused =
        assertThrows(
            StatusRuntimeException.class,
            () -> fx.buyer("skewed").withDeadlineAfter(10, TimeUnit.SECONDS)
                .purchase(PurchaseRequest.newBuilder().setEventId("skew").setUserId("u1").setRequestId("s-1").setQuantity(1).build()));
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
    assertEquals("CLOCK_SKEW", Errors.reasonOf(refused).orElse("<none>"));

    var decided =
        fx.buyer("good").withDeadlineAfter(10, TimeUnit.SECONDS)
            .purchase(PurchaseRequest.newBuilder().setEventId("skew").setUserId("u2").setRequestId("g-1").setQuantity(1).build());
    assertEquals(Outcome.OUTCOME_WON, decided.getDecision().getOutcome(), "a flagged region does not hold back the others");
  }
}
