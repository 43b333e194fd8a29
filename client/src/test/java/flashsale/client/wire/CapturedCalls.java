package flashsale.client.wire;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetEventResponse;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Bytes a real grpc-java client wrote on one connection: a GetEvent, then Purchase calls, captured
 * by a copying proxy between a real Netty client and a real Netty server.
 */
final class CapturedCalls {
  private CapturedCalls() {}

  /** A server answering every Purchase with a decision that echoes its request_id. */
  static Server echoServer() throws IOException {
    return Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {
          @Override
          public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
            response.onNext(PurchaseResponse.newBuilder()
                .setDecision(PurchaseDecision.newBuilder().setRequestId(request.getRequestId())).build());
            response.onCompleted();
          }

          @Override
          public void placeBid(PlaceBidRequest request, StreamObserver<PlaceBidResponse> response) {
            response.onNext(PlaceBidResponse.newBuilder()
                .setDecision(PurchaseDecision.newBuilder().setRequestId(request.getRequestId())).build());
            response.onCompleted();
          }

          @Override
          public StreamObserver<StreamPurchasesRequest> streamPurchases(StreamObserver<StreamPurchasesResponse> answers) {
            return new StreamObserver<>() {
              @Override
              public void onNext(StreamPurchasesRequest message) {
                String requestId = message.getPurchase().getRequestId();
                answers.onNext(StreamPurchasesResponse.newBuilder().setRequestId(requestId)
                    .setDecision(PurchaseDecision.newBuilder().setRequestId(requestId)).build());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                answers.onCompleted();
              }
            };
          }

          @Override
          public void getEvent(GetEventRequest request, StreamObserver<GetEventResponse> response) {
            response.onNext(GetEventResponse.getDefaultInstance());
            response.onCompleted();
          }
        })
        .build()
        .start();
  }

  /** The client-to-server bytes of a GetEvent and then one Purchase per id, all on one connection. */
  static byte[] capture(List<String> requestIds) throws Exception {
    return capture(requestIds, List.of());
  }

  /** As {@link #capture(List)}, then one PlaceBid per {@code bidIds}. */
  static byte[] capture(List<String> requestIds, List<String> bidIds) throws Exception {
    Server server = echoServer();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (ServerSocket proxy = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread.ofPlatform().daemon().start(() -> relay(proxy, server.getPort(), captured));
      ManagedChannel channel =
          Grpc.newChannelBuilder("127.0.0.1:" + proxy.getLocalPort(), InsecureChannelCredentials.create()).build();
      try {
        var stub = FlashSaleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        stub.getEvent(GetEventRequest.newBuilder().setEventId("shoes").build());
        for (String id : requestIds) {
          stub.purchase(PurchaseRequest.newBuilder().setEventId("shoes").setUserId("user-" + id).setRequestId(id).setQuantity(1).build());
        }
        for (String id : bidIds) {
          stub.placeBid(PlaceBidRequest.newBuilder().setEventId("guitar").setUserId("user-" + id).setRequestId(id)
              .setAmountMinor(500).setCurrencyCode("USD").build());
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    synchronized (captured) {
      return captured.toByteArray();
    }
  }

  private static void relay(ServerSocket proxy, int serverPort, ByteArrayOutputStream captured) {
    try (Socket client = proxy.accept(); Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort)) {
      Thread.ofPlatform().daemon().start(() -> pump(server, client, null));
      pump(client, server, captured);
    } catch (IOException ignored) {
      // the test closed the connection
    }
  }

  private static void pump(Socket from, Socket to, ByteArrayOutputStream captured) {
    byte[] buf = new byte[8192];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        if (captured != null) {
          synchronized (captured) {
            captured.write(buf, 0, n);
          }
        }
        out.write(buf, 0, n);
      }
    } catch (IOException ignored) {
      // closed
    }
  }
}
