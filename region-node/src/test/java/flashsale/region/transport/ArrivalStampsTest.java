package flashsale.region.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over the socket transport: a stamped call reaches its handler with the time its bytes were read
 * and still under the caller's deadline (the server's timer is what ends a stream whose message
 * never completes); its end lets the read go. An unstamped call carries no read.
 */
class ArrivalStampsTest {
  private static final String PURCHASE = FlashSaleServiceGrpc.getPurchaseMethod().getFullMethodName();
  private StampedTransport transport;
  private Server server;
  private ManagedChannel channel;
  private volatile Deadline purchaseDeadline;
  private volatile boolean lookupHadRead;
  private volatile long purchaseReadMicros;

  @AfterEach
  void stop() {
    if (channel != null) channel.shutdownNow();
    if (server != null) server.shutdownNow();
    if (transport != null) transport.close();
  }

  @Test
  void aStampedCallCarriesItsReadTimeAndKeepsTheCallersDeadline() throws Exception {
    var inFlight = new InFlightReads();
    var clock = InstantSource.fixed(Instant.ofEpochSecond(1_800_000_000L));
    transport = StampedTransport.onPort(0, clock);
    server = transport.serverBuilder()
        .addStreamTracerFactory(new ArrivalStamps(clock, inFlight, PURCHASE))
        .addService(new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {
          @Override
          public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> answer) {
            purchaseDeadline = Context.current().getDeadline();
            purchaseReadMicros = ArrivalStamps.currentRead().orElseThrow().readMicros();
            answer.onNext(PurchaseResponse.getDefaultInstance());
            answer.onCompleted();
          }

          @Override
          public void getPurchase(GetPurchaseRequest request, StreamObserver<GetPurchaseResponse> answer) {
            lookupHadRead = ArrivalStamps.currentRead().isPresent();
            answer.onNext(GetPurchaseResponse.getDefaultInstance());
            answer.onCompleted();
          }
        })
        .build().start();
    transport.open();
    channel = io.grpc.Grpc.newChannelBuilder("127.0.0.1:" + transport.port(), io.grpc.InsecureChannelCredentials.create())
        .build();
    var stub = FlashSaleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);

    stub.purchase(PurchaseRequest.getDefaultInstance());
    assertNotNull(purchaseDeadline, "the caller's deadline holds in the server");
    assertEquals(1_800_000_000_000_000L, purchaseReadMicros, "stamped at its socket read");
    assertEquals(InFlightReads.NONE, inFlight.oldestMicros(), "the call's end released its read");

    stub.getPurchase(GetPurchaseRequest.getDefaultInstance());
    assertFalse(lookupHadRead, "an unstamped call carries no read");
  }
}
