package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Anonymous long-lived calls (Health/Watch) are capped per node; a closed one frees its place, and
 * checks have places of their own.
 */
class OpenCallCapTest {
  /** A node's health service behind a cap of 3, and a channel to it. */
  private final OpenCallCap cap = new OpenCallCap(3);
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), cap)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }
  @Test
  void watchesBeyondTheCapAreRefusedAndAClosedOneFreesItsPlace() throws Exception {
    List<io.grpc.Context.CancellableContext> watches = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) watches.add(watch(channel, new CompletableFuture<>()));
      assertEquals(3, cap.open());
      CompletableFuture<Status> refused = new CompletableFuture<>();
      watch(channel, refused);
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.get(5, TimeUnit.SECONDS).getCode());
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus(), "watches held open do not starve a check");

      watches.remove(0).cancel(null); // a prober goes away
      assertEquals(2, cap.open());
      CompletableFuture<Status> admitted = new CompletableFuture<>();
      watches.add(watch(channel, admitted));
      assertEquals(3, cap.open(), "the freed place is taken again");
      assertEquals(false, admitted.isDone(), "and the watch stays open");
      watches.remove(0).cancel(null);
      for (int i = 0; i < 5; i++) {
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus(), "a check holds a place only while it runs");
      }
      assertEquals(2, cap.open());
    } finally {
      watches.forEach(w -> w.cancel(null));
    }
  }

  /** Checks opened and never sent (HEADERS, no request) take no place: they would starve the probers' checks. */
  @Test
  void checksThatNeverSendTheirRequestDoNotStarveTheOthers() throws Exception {
    List<io.grpc.ClientCall<HealthCheckRequest, HealthCheckResponse>> held = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) {
        var call = channel.newCall(HealthGrpc.getCheckMethod(), io.grpc.CallOptions.DEFAULT);
        call.start(new io.grpc.ClientCall.Listener<>() {}, new io.grpc.Metadata());
        call.request(1);
        held.add(call);
      }
      assertEquals(0, cap.open(), "no request, no place");
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus());
    } finally {
      held.forEach(c -> c.cancel("done", null));
    }
  }

  /** Opens a Health/Watch in its own cancellable context; {@code ended} gets the status it ends with. */
  private static io.grpc.Context.CancellableContext watch(ManagedChannel channel, CompletableFuture<Status> ended) {
    io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
    context.run(() -> HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(HealthCheckResponse value) {}

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    }));
    return context;
  }
}
