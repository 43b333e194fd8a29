package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.v1.SequenceRequest;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A standby may name a leader outside the region's {@code --arbiter} list (it moved to a new
 * host). The region follows it; when that leader is dead, the region goes on through its own
 * list, not back and forth between the standby and the dead leader it was sent to.
 */
class NamedLeaderOutsideTheListTest {
  static final String A = "127.0.0.1:7001";
  static final String B = "127.0.0.1:7002";

  @Test
  void aDeadLeaderOutsideTheListIsNotTriedInTurnAndTheRegionReachesTheConfiguredLeader() throws Exception {
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort(); // closed again: nothing listens there
    }
    FakeArbiter a = new FakeArbiter();
    FakeArbiter b = new FakeArbiter();
    a.standbyFor = "127.0.0.1:" + deadPort; // a stale view: the old leader, on a host outside the list, is gone
    b.announced.put("shoes", RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION, "us")));
    String nameA = InProcessServerBuilder.generateName();
    String nameB = InProcessServerBuilder.generateName();
    Server serverA = InProcessServerBuilder.forName(nameA).directExecutor().addService(a).build().start();
    Server serverB = InProcessServerBuilder.forName(nameB).directExecutor().addService(b).build().start();
    RegionConfig config = RegionConfig.builder(REGION).reconnectMs(20, 500).build();
    RegionServer region = new RegionServer(InProcessServerBuilder.forName(InProcessServerBuilder.generateName())
        .directExecutor(), config, InstantSource.system(), ArbiterChannels.of(
            InProcessChannelBuilder.forName(nameA).overrideAuthority(A).directExecutor().build(),
            InProcessChannelBuilder.forName(nameB).overrideAuthority(B).directExecutor().build())).start();
    try {
      long startNanos = System.nanoTime();
      FakeArbiter.Stream onB = b.nextStream(); // A, the dead leader A named, then B: the next in the list
      assertEquals(SequenceRequest.KindCase.HELLO, onB.next().getKindCase());
      long joinedMs = (System.nanoTime() - startNanos) / 1_000_000;
      System.out.printf("reached the configured leader after %d ms, %d refusals by the standby%n", joinedMs,
          a.refused.get());
      assertTrue(a.refused.get() <= 2, a.refused.get() + " hellos to the standby before trying the next arbiter");
    } finally {
      region.stop();
      serverA.shutdownNow();
      serverB.shutdownNow();
    }
  }
}
