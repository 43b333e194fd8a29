package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.sale.ErrorReason;
import flashsale.v1.SequenceRequest;
import flashsale.wire.Errors;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leader ends a region's stream CREDENTIALS_INVALID once the certificate of its connection
 * expired: the region asks the same arbiter again (through the connection its channels hold now,
 * a renewed certificate's), not the next one in turn, a standby that would only send it back.
 */
class RefusedCredentialsReconnectTest {
  static final String A = "127.0.0.1:7001";
  static final String B = "127.0.0.1:7002";

  @Test
  void aRegionWhoseCertificateExpiredAsksTheSameArbiterAgain() throws Exception {
    FakeArbiter a = new FakeArbiter();
    FakeArbiter b = new FakeArbiter();
    b.standbyFor = A;
    a.announced.put("shoes", RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION, "us")));
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
      FakeArbiter.Stream first = a.nextStream();
      RegionFixture.await("connected", region::arbiterConnected);
      int refusedBefore = b.refused.get();

      first.breakWith(Errors.error(ErrorReason.CREDENTIALS_INVALID,
          "the client certificate chain expired at 2026-12-06T12:00:00Z (after this connection's handshake)"));
      FakeArbiter.Stream again = a.nextStream();
      assertEquals(SequenceRequest.KindCase.HELLO, again.next().getKindCase());
      assertEquals(refusedBefore, b.refused.get(), "the standby was not asked on the way back");
    } finally {
      region.stop();
      serverA.shutdownNow();
      serverB.shutdownNow();
    }
  }
}
