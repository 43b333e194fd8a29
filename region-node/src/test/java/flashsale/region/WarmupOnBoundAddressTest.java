package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.region.modes.ModesConfig;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A region bound to one address ({@code --bind}) warms itself up there, not on 127.0.0.1 where
 * nothing listens, and its warm-up calls stay out of its metrics though they do not come over
 * loopback.
 */
class WarmupOnBoundAddressTest {
  private static final int WARMUP_PURCHASES = 300;

  @Test
  void aRegionBoundToOneAddressWarmsUpThereAndLeavesItsMetricsClean() throws Exception {
    InetAddress bindTo = nonLoopbackAddress();
    String arbiterName = InProcessServerBuilder.generateName();
    Server arbiterServer = InProcessServerBuilder.forName(arbiterName).directExecutor().addService(new FakeArbiter())
        .build().start();
    RegionServer region = RegionServer.onAddress(new InetSocketAddress(bindTo, 0),
        RegionFixture.config().warmupPurchases(WARMUP_PURCHASES).build(), InstantSource.system(),
        ArbiterChannels.of(InProcessChannelBuilder.forName(arbiterName).directExecutor().build()), ModesConfig.none(),
        InsecureServerCredentials.create()).start();
    ManagedChannel client = NettyChannelBuilder.forAddress(new InetSocketAddress(bindTo, region.port()))
        .usePlaintext().build();
    try {
      var health = HealthGrpc.newBlockingStub(client).withDeadlineAfter(30, TimeUnit.SECONDS);
      RegionFixture.await("warm and serving", () -> health.check(HealthCheckRequest.getDefaultInstance()).getStatus()
          == HealthCheckResponse.ServingStatus.SERVING);
      assertEquals(WARMUP_PURCHASES, region.warmupCallsAnswered(), "warm-up purchases that reached the node at " + bindTo);
      assertEquals(0, region.metrics().get("grpc.server.processing.duration").tag("method", "Purchase")
          .tag("status_code", "INVALID_ARGUMENT").timer().count(), "warm-up calls were counted");
    } finally {
      client.shutdownNow();
      region.stop();
      arbiterServer.shutdownNow();
    }
  }

  /**
   * An IPv4 address of this host that is not loopback, so the warm-up's calls come from it; where
   * the host has none, 127.0.0.2 (still not where 127.0.0.1 reaches).
   */
  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) continue;
      for (InetAddress address : java.util.Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLinkLocalAddress()) return address;
      }
    }
    return InetAddress.getByName("127.0.0.2");
  }
}
