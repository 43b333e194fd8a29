package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.v1.ClockVerdict;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.SequenceResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * gRPC health tells a load balancer when a region can take a burst: SERVING only while its arbiter
 * stream is up and its clock is not flagged (warm-up is covered on a real socket by the system tests).
 */
class RegionHealthTest {

  @Test
  void servingFollowsTheArbiterStreamAndTheClockVerdict() throws Exception {
    try (RegionFixture f = new RegionFixture()) {
      awaitHealth(f, ServingStatus.SERVING);
      f.stream.send(SequenceResponse.newBuilder()
          .setClockVerdict(ClockVerdict.newBuilder().setFlagged(true).setMessage("offset 40 ms")).build());
      awaitHealth(f, ServingStatus.NOT_SERVING);
      f.stream.send(SequenceResponse.newBuilder()
          .setClockVerdict(ClockVerdict.newBuilder().setFlagged(false).setMessage("offset 0 ms")).build());
      awaitHealth(f, ServingStatus.SERVING);
      f.arbiter.announced.clear();
      f.stream.breakWith(Status.UNAVAILABLE.withDescription("arbiter restarting"));
      f.arbiter.nextStream(); // the region reconnects and is welcomed again
      awaitHealth(f, ServingStatus.SERVING);
    }
  }

  @Test
  void notServingWithoutAnArbiter() throws Exception {
    String name = InProcessServerBuilder.generateName();
    RegionServer region = new RegionServer(InProcessServerBuilder.forName(name).directExecutor(),
        RegionFixture.config().build(), InstantSource.system(),
        ArbiterChannels.of(InProcessChannelBuilder.forName("nobody-home").build())).start();
    ManagedChannel client = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      Thread.sleep(200); // several readiness checks and reconnect attempts
      for (String service : new String[] {"", FlashSaleServiceGrpc.SERVICE_NAME}) {
        assertEquals(ServingStatus.NOT_SERVING, HealthGrpc.newBlockingStub(client).withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus(), service);
      }
    } finally {
      client.shutdownNow();
      region.stop();
    }
  }

  private static void awaitHealth(RegionFixture f, ServingStatus expected) throws InterruptedException {
    RegionFixture.await("health " + expected, () -> f.health(FlashSaleServiceGrpc.SERVICE_NAME) == expected
        && f.health("") == expected);
  }
}
