package flashsale.arbiter.testing;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.store.ArbiterStore;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A lone arbiter node in process, on {@code store}, with one region stream open ("east", hello
 * sent): the test writes to {@link #stream} and reads what the arbiter sent from {@link #received}.
 */
public final class RegionStreamArbiter implements AutoCloseable {
  public final ArbiterNode node;
  public final ManagedChannel channel;
  public final BlockingQueue<SequenceResponse> received = new LinkedBlockingQueue<>();
  public final StreamObserver<SequenceRequest> stream;

  public RegionStreamArbiter(ArbiterStore store) throws java.io.IOException {
    String name = InProcessServerBuilder.generateName();
    node = new ArbiterNode(ArbiterConfig.defaults().withPort(0), InProcessServerBuilder.forName(name), store,
        Clock.systemUTC()).start();
    channel = InProcessChannelBuilder.forName(name).build();
    stream = SequencerServiceGrpc.newStub(channel).sequence(new StreamObserver<>() {
      @Override public void onNext(SequenceResponse message) {
        received.add(message);
      }
      @Override public void onError(Throwable t) {}
      @Override public void onCompleted() {}
    });
    stream.onNext(SequenceRequest.newBuilder().setHello(RegionHello.newBuilder().setRegion("east").setInstanceId("i-1")).build());
  }

  @Override
  public void close() {
    stream.onCompleted();
    channel.shutdownNow();
    node.stop();
  }
}
