package flashsale.region;

import static flashsale.region.RegionFixture.assertError;
import static flashsale.region.RegionFixture.request;
import static org.junit.jupiter.api.Assertions.assertFalse;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.sale.ErrorReason;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A region whose arbiter is gone answers what needs the arbiter with UNAVAILABLE, not a hang. */
class ArbiterUnreachableTest {
  private RegionServer region;
  private ManagedChannel client;
  private FlashSaleServiceGrpc.FlashSaleServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    region = new RegionServer(InProcessServerBuilder.forName(name).directExecutor(), RegionFixture.config().build(),
        InstantSource.system(), ArbiterChannels.of(InProcessChannelBuilder.forName("nobody-home").build())).start();
    client = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = FlashSaleServiceGrpc.newBlockingStub(client).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    client.shutdownNow();
    region.stop();
  }

  @Test
  void unknownEventIsArbiterUnavailable() {
    assertError(Status.Code.UNAVAILABLE, ErrorReason.ARBITER_UNAVAILABLE,
        () -> stub.purchase(request("shoes", "alice", "r1", 1)));
    assertFalse(region.arbiterConnected());
  }

  @Test
  void purchaseUnknownHereIsArbiterUnavailable() {
    assertError(Status.Code.UNAVAILABLE, ErrorReason.ARBITER_UNAVAILABLE,
        () -> stub.getPurchase(GetPurchaseRequest.newBuilder().setEventId("shoes").setRequestId("r1").build()));
  }
}
