package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.wire.Errors;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A call whose one request never arrives whole is closed DEADLINE_EXCEEDED REQUEST_INCOMPLETE at
 * the bound; a whole request is answered however long its answer takes, and a client stream may
 * stay quiet.
 */
class IncompleteRequestsTest {
  private static final long BOUND_MS = 300;
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = RawBytes.MARSHALLER;
  private static final MethodDescriptor<byte[], byte[]> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<byte[], byte[]> CLIENT_STREAM =
      method("ClientStream", MethodDescriptor.MethodType.CLIENT_STREAMING);

  /** The server's one call thread, which is also the bound's timer: callbacks and timer never run at once. */
  private final ScheduledExecutorService callThread = Executors.newSingleThreadScheduledExecutor();
  /** How long the unary handler takes to answer a whole request. */
  private volatile long answerAfterMs;
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) channel.shutdownNow();
    if (server != null) server.shutdownNow();
    callThread.shutdownNow();
  }

  private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }

  /** What the transport says of the connection's reads (see {@link IncompleteRequests#READS_PAUSED}). */
  private final java.util.concurrent.atomic.AtomicBoolean readsPaused = new java.util.concurrent.atomic.AtomicBoolean();

  private void start(long boundMs) throws IOException {
    ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, answer) ->
            callThread.schedule(() -> {
              answer.onNext(request);
              answer.onCompleted();
            }, answerAfterMs, TimeUnit.MILLISECONDS)))
        .addMethod(CLIENT_STREAM, ServerCalls.asyncClientStreamingCall(answer -> new StreamObserver<byte[]>() {
          int count;

          @Override
          public void onNext(byte[] value) {
            count++;
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            answer.onNext(new byte[] {(byte) count});
            answer.onCompleted();
          }
        }))
        .build();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).executor(callThread)
        .addTransportFilter(new io.grpc.ServerTransportFilter() {
          @Override
          public io.grpc.Attributes transportReady(io.grpc.Attributes attributes) {
            return attributes.toBuilder().set(IncompleteRequests.READS_PAUSED, readsPaused::get).build();
          }
        })
        .addService(ServerInterceptors.intercept(echo, new IncompleteRequests(boundMs, () -> Optional.of(callThread))))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** A call started, with {@code messages} sent and its end sent or not; its status when it closes. */
  private CompletableFuture<Status> call(MethodDescriptor<byte[], byte[]> method, int messages, boolean end) {
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status.getCode() == Status.Code.OK ? status
            : status.withDescription(Errors.reasonOf(status.asRuntimeException(trailers)).orElse("") + " " + status.getDescription()));
      }
    }, new Metadata());
    call.request(1);
    for (int i = 0; i < messages; i++) call.sendMessage(new byte[] {1});
    if (end) call.halfClose();
    return closed;
  }

  @Test
  void aCallWhoseRequestNeverComesWholeIsClosedAtTheBound() throws Exception {
    start(BOUND_MS);
    long startNanos = System.nanoTime();
    Status headersOnly = call(UNARY, 0, false).get(5, TimeUnit.SECONDS);
    Status messageWithoutEnd = call(UNARY, 1, false).get(5, TimeUnit.SECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, headersOnly.getCode());
    assertEquals(Status.Code.DEADLINE_EXCEEDED, messageWithoutEnd.getCode());
    assertEquals("REQUEST_INCOMPLETE", headersOnly.getDescription().split(" ")[0], headersOnly.toString());
    assertEquals("REQUEST_INCOMPLETE", messageWithoutEnd.getDescription().split(" ")[0]);
    assertFalse(tookMs < BOUND_MS, "closed after " + tookMs + " ms, before the bound");
  }

  /** While the node leaves the connection unread, the request's lateness is not the client's: the timer starts again. */
  @Test
  void theBoundWaitsWhileTheNodeLeavesTheConnectionUnread() throws Exception {
    readsPaused.set(true);
    start(BOUND_MS);
    CompletableFuture<Status> headersOnly = call(UNARY, 0, false);
    Thread.sleep(3 * BOUND_MS);
    assertFalse(headersOnly.isDone(), "closed while the node was not reading: " + headersOnly.getNow(null));
    readsPaused.set(false);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, headersOnly.get(5, TimeUnit.SECONDS).getCode());
  }

  @Test
  void aWholeRequestIsAnsweredHoweverLongItsAnswerTakes() throws Exception {
    answerAfterMs = 3 * BOUND_MS; // a purchase pending on the arbiter, say
    start(BOUND_MS);
    assertEquals(Status.Code.OK, call(UNARY, 1, true).get(5, TimeUnit.SECONDS).getCode());
  }

  @Test
  void aClientStreamMayStayQuietPastTheBound() throws Exception {
    start(BOUND_MS);
    ClientCall<byte[], byte[]> call = channel.newCall(CLIENT_STREAM, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    Thread.sleep(3 * BOUND_MS);
    assertFalse(closed.isDone(), "a quiet stream was closed: " + closed.getNow(null));
    call.sendMessage(new byte[] {1});
    call.halfClose();
    assertEquals(Status.Code.OK, closed.get(5, TimeUnit.SECONDS).getCode());
  }

  @Test
  void zeroTurnsTheBoundOff() throws Exception {
    start(0);
    CompletableFuture<Status> headersOnly = call(UNARY, 0, false);
    Thread.sleep(3 * BOUND_MS);
    assertFalse(headersOnly.isDone(), "closed with the bound off: " + headersOnly.getNow(null));
  }

  @Test
  void aNegativeBoundIsRefused() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new IncompleteRequests(-1, Optional::empty));
    assertEquals("request arrival timeout must be 0 (off) or at least 100 ms, got -1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new IncompleteRequests(1, Optional::empty));
  }
}
