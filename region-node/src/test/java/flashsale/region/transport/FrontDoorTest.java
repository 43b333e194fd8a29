package flashsale.region.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerStreamTracer;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real sockets: a purchase is stamped when its bytes are read, even while the thread that
 * decodes its connection is busy with an earlier one; gRPC still sees the client's own address.
 */
class FrontDoorTest {
  private static final String PURCHASE = FlashSaleServiceGrpc.getPurchaseMethod().getFullMethodName();
  private StampedTransport transport;
  private Server server;
  private ManagedChannel channel;
  private final Map<String, Long> stampMicrosByRequest = new ConcurrentHashMap<>();
  private final Map<String, SocketAddress> clientByRequest = new ConcurrentHashMap<>();

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) channel.shutdownNow();
    if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (transport != null) transport.close();
  }

  @Test
  void aPurchaseIsStampedWhenReadNotWhenTheDecoderGetsToIt() throws Exception {
    long decodeStallMillis = 400;
    var firstDecoded = new CountDownLatch(1);
    // Runs on the decoding thread, inside the decode of the first purchase's HEADERS.
    var slowFirstDecode = new ServerStreamTracer.Factory() {
      private boolean stalled;

      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        if (!stalled && fullMethodName.equals(PURCHASE)) {
          stalled = true;
          firstDecoded.countDown();
          sleep(decodeStallMillis);
        }
        return new ServerStreamTracer() {};
      }
    };
    start(slowFirstDecode);
    var stub = FlashSaleServiceGrpc.newStub(channel);
    var answered = new CountDownLatch(2);
    stub.purchase(PurchaseRequest.newBuilder().setRequestId("first").build(), answers(answered));
    assertTrue(firstDecoded.await(5, TimeUnit.SECONDS));
    long secondSentNanos = System.nanoTime();
    stub.purchase(PurchaseRequest.newBuilder().setRequestId("second").build(), answers(answered)); // same connection
    assertTrue(answered.await(10, TimeUnit.SECONDS));

    long firstToSecondMicros = stampMicrosByRequest.get("second") - stampMicrosByRequest.get("first");
    long secondDecodedAfterMicros = (System.nanoTime() - secondSentNanos) / 1_000;
    assertTrue(secondDecodedAfterMicros >= (decodeStallMillis - 50) * 1_000,
        "the second purchase waited for the stalled decoder: " + secondDecodedAfterMicros + " us");
    assertTrue(firstToSecondMicros < decodeStallMillis * 1_000 / 2,
        "stamped at its read, not after the stalled decode: " + firstToSecondMicros + " us after the first");
  }

  @Test
  void grpcSeesTheClientsSocketAddress() throws Exception {
    start(new ServerStreamTracer.Factory() {
      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return new ServerStreamTracer() {};
      }
    });
    FlashSaleServiceGrpc.newBlockingStub(channel).purchase(PurchaseRequest.newBuilder().setRequestId("r").build());
    var client = assertInstanceOf(InetSocketAddress.class, clientByRequest.get("r"));
    assertEquals("127.0.0.1", client.getAddress().getHostAddress());
    assertTrue(client.getPort() > 0 && client.getPort() != transport.port());
  }

  private void start(ServerStreamTracer.Factory tracer) throws Exception {
    var clock = InstantSource.system();
    transport = StampedTransport.onPort(0, clock);
    var service = new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {
      @Override
      public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> answer) {
        var read = ArrivalStamps.currentRead().orElseThrow();
        stampMicrosByRequest.put(request.getRequestId(), read.readMicros());
        read.release();
        answer.onNext(PurchaseResponse.getDefaultInstance());
        answer.onCompleted();
      }
    };
    var recordClient = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
          @Override
          public void onMessage(Q message) {
            clientByRequest.put(((PurchaseRequest) message).getRequestId(), remote);
            super.onMessage(message);
          }
        };
      }
    };
    server = transport.serverBuilder()
        .addStreamTracerFactory(tracer)
        .addStreamTracerFactory(new ArrivalStamps(clock, new InFlightReads(), PURCHASE))
        .addService(ServerInterceptors.intercept(service, recordClient))
        .build().start();
    transport.open();
    channel = Grpc.newChannelBuilder("127.0.0.1:" + transport.port(), InsecureChannelCredentials.create()).build();
  }

  private static StreamObserver<PurchaseResponse> answers(CountDownLatch answered) {
    return new StreamObserver<>() {
      @Override
      public void onNext(PurchaseResponse value) {}

      @Override
      public void onError(Throwable t) {
        answered.countDown();
      }

      @Override
      public void onCompleted() {
        answered.countDown();
      }
    };
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
