package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Calls that send their HEADERS and never their request are capped per connection on every node
 * (through {@link EdgeServerBuilder}): beyond the cap the connection's next call is refused, while
 * another connection is served, and a call that goes away frees its place.
 */
class RequestWaitCapTest {
  private static final int CAP = RequestWaitCap.DEFAULT_PER_CONNECTION;

  @Test
  void callsWithoutTheirRequestAreCappedPerConnection() throws Exception {
    Server server = EdgeServerBuilder.of(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
        .addService(new HealthStatusManager().getHealthService()).build().start();
    ManagedChannel holder = channelTo(server);
    ManagedChannel other = channelTo(server);
    List<ClientCall<HealthCheckRequest, HealthCheckResponse>> held = new ArrayList<>();
    try {
      for (int i = 0; i < CAP - 1; i++) held.add(openWithoutRequest(holder, new CompletableFuture<>()));
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(holder), "below the cap a check is served");
      held.add(openWithoutRequest(holder, new CompletableFuture<>()));
      CompletableFuture<Status> refused = new CompletableFuture<>();
      held.add(openWithoutRequest(holder, refused));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.get(10, TimeUnit.SECONDS).getCode(), "the call past the cap");
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(other), "another connection is served");

      held.remove(0).cancel("going away", null);
      held.remove(0).cancel("going away", null);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      HealthCheckResponse.ServingStatus afterwards = null;
      while (afterwards == null && System.nanoTime() < deadline) {
        try {
          afterwards = check(holder); // the cancels reach the server in their own time
        } catch (io.grpc.StatusRuntimeException stillFull) {
          Thread.sleep(10);
        }
      }
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, afterwards, "a call gone frees its place");
    } finally {
      held.forEach(c -> c.cancel("done", null));
      holder.shutdownNow();
      other.shutdownNow();
      server.shutdownNow();
    }
  }

  private static ManagedChannel channelTo(Server server) {
    return Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(), InsecureChannelCredentials.create()).build();
  }

  private static HealthCheckResponse.ServingStatus check(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  /** A Health/Check whose HEADERS go out and whose request never does; {@code ended} gets how it ends. */
  private static ClientCall<HealthCheckRequest, HealthCheckResponse> openWithoutRequest(ManagedChannel channel,
      CompletableFuture<Status> ended) {
    ClientCall<HealthCheckRequest, HealthCheckResponse> call = channel.newCall(HealthGrpc.getCheckMethod(), CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        ended.complete(status);
      }
    }, new Metadata());
    call.request(1);
    return call;
  }
}
