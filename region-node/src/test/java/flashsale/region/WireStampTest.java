package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.Ticket;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A region on its production transport stamps a purchase with the time of the socket read that
 * carried it, not the time its handler ran: a burst written at once shares a handful of read times,
 * however long each purchase takes to handle afterwards.
 */
class WireStampTest {
  private static final int BURST = 60;
  private static final long CLOCK_STEP_MICROS = 1_000;

  /** Every reading moves this clock 1 ms on, so each separate reading shows in the stamps. */
  private static final class SteppingClock implements InstantSource {
    private final AtomicLong micros = new AtomicLong(RegionFixture.micros(Instant.now()));

    @Override
    public Instant instant() {
      long m = micros.addAndGet(CLOCK_STEP_MICROS);
      return Instant.ofEpochSecond(m / 1_000_000, (m % 1_000_000) * 1_000);
    }
  }

  @Test
  void aBurstIsStampedOncePerSocketReadNotOncePerPurchase() throws Exception {
    FakeArbiter arbiter = new FakeArbiter();
    arbiter.announced.put("shoes", RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1),
        List.of(RegionFixture.REGION, "us")));
    // No heartbeats or probes during the burst: only stamps read the stepping clock.
    RegionConfig config = RegionFixture.config().heartbeatIntervalMs(60_000).clockProbeIntervalMs(60_000)
        .warmupPurchases(2_000).build();
    try (var node = RegionFixture.OnSocket.start(arbiter, config, new SteppingClock());
        var relay = new HoldingRelay(node.region().port())) {
      RegionServer region = node.region();
      ManagedChannel client = io.grpc.Grpc.newChannelBuilder("127.0.0.1:" + relay.port(),
          io.grpc.InsecureChannelCredentials.create()).build();
      try {
        FakeArbiter.Stream stream = arbiter.nextStream();
        RegionFixture.await("region connected", region::arbiterConnected);
        // SERVING once the node has warmed its own purchase path through this socket.
        var health = HealthGrpc.newBlockingStub(client).withDeadlineAfter(30, TimeUnit.SECONDS);
        RegionFixture.await("warm and serving", () -> health.check(HealthCheckRequest.getDefaultInstance()).getStatus()
            == HealthCheckResponse.ServingStatus.SERVING);
        // The 2,000 refused warm-up purchases stay out of the node's call metrics.
        assertEquals(0, region.metrics().get("grpc.server.processing.duration").tag("method", "Purchase")
            .tag("status_code", "INVALID_ARGUMENT").timer().count(), "warm-up calls were counted");
        var stub = FlashSaleServiceGrpc.newStub(client).withDeadlineAfter(10, TimeUnit.SECONDS);
        // The burst reaches the region in one write, as a burst on the wire does: a loaded machine
        // would otherwise split the client's own writes and the count below would measure that.
        relay.hold();
        for (int i = 0; i < BURST; i++) {
          stub.purchase(RegionFixture.request("shoes", "u" + i, "r" + i, 1), ignore());
        }
        int burstBytes = relay.releaseWhenQuiet(200, 10_000);
        List<Ticket> tickets = new ArrayList<>();
        while (tickets.size() < BURST) tickets.add(stream.nextTicket());

        Set<Long> clockReadings = new HashSet<>();
        long previous = Long.MIN_VALUE;
        for (Ticket t : tickets) {
          assertTrue(t.getArrivalMicros() > previous, "stamps strictly increase");
          previous = t.getArrivalMicros();
          clockReadings.add(t.getArrivalMicros() / CLOCK_STEP_MICROS);
        }
        System.out.printf("%d purchases in one write of %d bytes: %d clock readings%n", BURST, burstBytes,
            clockReadings.size());
        // Stamped per purchase, the burst would show BURST distinct readings.
        assertTrue(clockReadings.size() <= BURST / 6, BURST + " purchases in one write of " + burstBytes
            + " bytes carried " + clockReadings.size() + " clock readings; one per socket read expected");
        assertEquals(BURST, new HashSet<>(tickets.stream().map(Ticket::getRequestId).toList()).size());
      } finally {
        client.shutdownNow();
      }
    }
  }

  private static <T> StreamObserver<T> ignore() {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
