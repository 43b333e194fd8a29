package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.SequenceRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An arbiter that won the lease refuses streams, naming itself, until it has rebuilt its events.
 * Each hello resends every undecided ticket, so the region asks again after a growing wait instead
 * of every reconnect minimum, and still connects soon after the rebuild ends.
 */
class RebuildingArbiterTest {
  static final String A = "127.0.0.1:7001";

  @Test
  void aRegionAsksARebuildingArbiterAgainAfterAGrowingWaitAndJoinsSoonAfter() throws Exception {
    FakeArbiter a = new FakeArbiter();
    a.announced.put("shoes", RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION, "us")));
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(a).build().start();
    RegionConfig config = RegionConfig.builder(REGION).reconnectMs(20, 500).shutdownDrainMs(0).build(); // no drain at stop: the fake arbiter leaves purchases undecided
    String regionName = InProcessServerBuilder.generateName();
    RegionServer region = new RegionServer(InProcessServerBuilder.forName(regionName).directExecutor(), config,
        InstantSource.system(), ArbiterChannels.of(
            InProcessChannelBuilder.forName(name).overrideAuthority(A).directExecutor().build())).start();
    ManagedChannel client = InProcessChannelBuilder.forName(regionName).directExecutor().build();
    try {
      FakeArbiter.Stream first = a.nextStream();
      RegionFixture.await("connected", region::arbiterConnected);
      FlashSaleServiceGrpc.newFutureStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
          .purchase(RegionFixture.request("shoes", "alice", "r1", 1));
      first.nextTicket();

      a.standbyFor = A; // a failover: A won the lease back and rebuilds for 2 s
      first.breakWith(io.grpc.Status.UNAVAILABLE.withDescription("lease lost"));
      Thread.sleep(2_000);
      int refusedWhileRebuilding = a.refused.get();
      a.standbyFor = null;
      long rebuiltNanos = System.nanoTime();
      FakeArbiter.Stream led = a.nextStream();
      assertEquals(SequenceRequest.KindCase.HELLO, led.next().getKindCase());
      long joinedMs = (System.nanoTime() - rebuiltNanos) / 1_000_000;
      System.out.printf("hellos refused while rebuilding for 2 s: %d; joined %d ms after the rebuild%n",
          refusedWhileRebuilding, joinedMs);
      assertTrue(refusedWhileRebuilding <= 10, refusedWhileRebuilding + " hellos (each resending every ticket) in 2 s");
      assertTrue(joinedMs <= 1_000, "joined " + joinedMs + " ms after the rebuild");
    } finally {
      client.shutdownNow();
      region.stop();
      server.shutdownNow();
    }
  }
}
