package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertSame;

import flashsale.region.grpc.ArbiterChannels;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Over a server builder of the caller's, a purchase is stamped when its handler runs: the handler
 * must run on the thread that delivered the call, not whenever a pool thread gets to it.
 */
class RegionServerExecutorTest {

  @Test
  void callsRunOnTheThreadThatDeliveredThemWhateverExecutorTheBuilderHad() throws Exception {
    String name = InProcessServerBuilder.generateName();
    AtomicReference<Thread> handledOn = new AtomicReference<>();
    ServerInterceptor recordThread = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        handledOn.set(Thread.currentThread());
        return next.startCall(call, headers);
      }
    };
    RegionServer region = new RegionServer(InProcessServerBuilder.forName(name).intercept(recordThread), // gRPC's pool by default
        RegionFixture.config().build(), InstantSource.system(),
        ArbiterChannels.of(InProcessChannelBuilder.forName("nobody-home").build())).start();
    ManagedChannel client = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      HealthGrpc.newBlockingStub(client).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      assertSame(Thread.currentThread(), handledOn.get(), "the in-process call was delivered on this thread");
    } finally {
      client.shutdownNow();
      region.stop();
    }
  }
}
