package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.wire.Errors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MalformedRequestsTest {
  private final AtomicInteger handled = new AtomicInteger();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    String name = InProcessServerBuilder.generateName();
    server = EdgeServerBuilder.of(InProcessServerBuilder.forName(name).directExecutor())
        .addService(new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {
          @Override
          public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
            handled.incrementAndGet();
            response.onNext(PurchaseResponse.newBuilder()
                .setDecision(PurchaseDecision.newBuilder().setRequestId(request.getRequestId())).build());
            response.onCompleted();
          }
        })
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private byte[] call(byte[] body) {
    MethodDescriptor<byte[], byte[]> raw = FlashSaleServiceGrpc.getPurchaseMethod().toBuilder(RAW, RAW).build();
    return ClientCalls.blockingUnaryCall(channel, raw, io.grpc.CallOptions.DEFAULT, body);
  }

  @Test
  void randomBytesAreInvalidArgumentAndNeverReachTheHandler() {
    var e = assertThrows(StatusRuntimeException.class, () -> call(new byte[] {0x0b, 0x7f, (byte) 0xff, 0x01}));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals("MALFORMED_MESSAGE", Errors.reasonOf(e).orElse("<none>"));
    assertEquals(0, handled.get());
  }

  @Test
  void invalidUtf8InAStringFieldIsInvalidArgument() {
    byte[] eventIdWithBadUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28}; // field 1, length 2, not UTF-8
    var e = assertThrows(StatusRuntimeException.class, () -> call(eventIdWithBadUtf8));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("MALFORMED_MESSAGE", Errors.reasonOf(e).orElse("<none>"));
    assertTrue(e.getStatus().getDescription().contains("UTF-8"), e.getStatus().getDescription());
  }

  @Test
  void aValidMessageStillReachesTheHandler() throws IOException {
    byte[] answer = call(PurchaseRequest.newBuilder().setRequestId("r-1").build().toByteArray());
    assertEquals("r-1", PurchaseResponse.parseFrom(answer).getDecision().getRequestId());
    assertEquals(1, handled.get());
  }

  @Test
  void aStreamThatSendsBadBytesIsClosedAndItsHandlerLearnsItEnded() throws Exception {
    var handlerSaw = new java.util.concurrent.LinkedBlockingQueue<String>();
    String name = InProcessServerBuilder.generateName();
    Server streams = EdgeServerBuilder.of(InProcessServerBuilder.forName(name).directExecutor())
        .addService(new SequencerServiceGrpc.SequencerServiceImplBase() {
          @Override
          public StreamObserver<SequenceRequest> sequence(StreamObserver<SequenceResponse> out) {
            return new StreamObserver<>() {
              @Override
              public void onNext(SequenceRequest value) {
                handlerSaw.add("message");
              }

              @Override
              public void onError(Throwable t) {
                handlerSaw.add("error " + Status.fromThrowable(t).getCode());
              }

              @Override
              public void onCompleted() {
                handlerSaw.add("completed");
              }
            };
          }
        })
        .build().start();
    ManagedChannel c = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      MethodDescriptor<byte[], byte[]> raw = SequencerServiceGrpc.getSequenceMethod().toBuilder(RAW, RAW).build();
      var answer = new java.util.concurrent.CompletableFuture<Status>();
      var call = c.newCall(raw, io.grpc.CallOptions.DEFAULT);
      call.start(new io.grpc.ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, io.grpc.Metadata trailers) {
          answer.complete(status);
        }
      }, new io.grpc.Metadata());
      call.request(1);
      call.sendMessage(SequenceRequest.getDefaultInstance().toByteArray()); // a valid (empty) message first
      call.sendMessage(new byte[] {0x0b, 0x7f, (byte) 0xff});
      Status status = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
      assertEquals("message", handlerSaw.poll(10, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals("error CANCELLED", handlerSaw.poll(10, java.util.concurrent.TimeUnit.SECONDS),
          "the stream's handler must learn that its call ended");
    } finally {
      c.shutdownNow();
      streams.shutdownNow();
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = RawBytes.MARSHALLER;
}
