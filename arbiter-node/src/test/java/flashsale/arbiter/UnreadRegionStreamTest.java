package flashsale.arbiter;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.RegionNodeStatus;
import flashsale.arbiter.core.Sequencer;
import flashsale.sale.Micros;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.Watermark;
import flashsale.wire.Times;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A region node that keeps its stream alive (watermarks) but stops reading it: what the arbiter
 * sends it would pile up in memory without bound. Once the stream has taken nothing more for the
 * unread limit, the arbiter ends it and counts the node gone; a node that reads is never ended.
 */
class UnreadRegionStreamTest {
  private ArbiterNode node;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) channel.shutdownNow();
    if (node != null) node.stop();
  }

  @Test
  void aNodeThatStopsReadingIsEndedAndOneThatReadsIsNot() throws Exception {
    // The limit as --region-stream-unread-limit-ms sets it.
    aDeafNodeIsEndedAndAReadingOneIsNot(ArbiterConfig.defaults().withRegionStreamUnreadLimitMs(500), "read nothing for 500 ms");
  }

  @Test
  void aNodeThatStopsReadingIsEndedOnceTheBytesSentToItPassTheLimitLongBeforeTheTimeLimit() throws Exception {
    // As --region-stream-unread-limit-bytes sets it: 40 announcements of ~100 bytes pass 1 KiB, never 60 s.
    aDeafNodeIsEndedAndAReadingOneIsNot(ArbiterConfig.defaults().withRegionStreamUnreadLimitMs(60_000)
        .withRegionStreamUnreadLimitBytes(1_024), "was sent 1 KiB while reading nothing");
  }

  private void aDeafNodeIsEndedAndAReadingOneIsNot(ArbiterConfig config, String why) throws Exception {
    String name = InProcessServerBuilder.generateName();
    node = new ArbiterNode(config.withPort(0), InProcessServerBuilder.forName(name), new InMemoryArbiterStore(),
        Clock.systemUTC()).start();
    channel = InProcessChannelBuilder.forName(name).build();
    StreamObserver<SequenceRequest> deaf = open("east", false);
    StreamObserver<SequenceRequest> reading = open("west", true);
    var admin = EventAdminServiceGrpc.newBlockingStub(channel);
    // Announcements go to every stream; watermarks keep both regions from being timed out as silent.
    for (int i = 0; i < 40 && connected("east"); i++) {
      long nowMicros = Micros.of(Instant.now());
      admin.createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + i).setEvent(Event.newBuilder()
          .setEventId("e" + i).setItem("socks").setStock(1).setStartTime(Times.timestamp(nowMicros))
          .setEndTime(Times.timestamp(nowMicros + 600_000_000L)).setPerUserLimit(1).addRegions("east")
          .addRegions("west").setMode(EventMode.EVENT_MODE_GLOBAL_ORDER)).build());
      for (var stream : java.util.List.of(deaf, reading)) {
        stream.onNext(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(nowMicros)).build());
      }
      Thread.sleep(100);
    }
    assertFalse(connected("east"), "the node that " + why + " is ended");
    assertTrue(connected("west"), "the node that reads stays");
  }

  /** A region's stream, said hello on; {@code reads} false: it takes the welcome, then nothing more. */
  private StreamObserver<SequenceRequest> open(String region, boolean reads) throws InterruptedException {
    CountDownLatch welcomed = new CountDownLatch(1);
    StreamObserver<SequenceRequest> stream = SequencerServiceGrpc.newStub(channel).sequence(
        new ClientResponseObserver<SequenceRequest, SequenceResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<SequenceRequest> call) {
            if (!reads) call.disableAutoRequestWithInitial(1);
          }

          @Override
          public void onNext(SequenceResponse message) {
            if (message.hasWelcome()) welcomed.countDown();
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    stream.onNext(SequenceRequest.newBuilder().setHello(RegionHello.newBuilder().setRegion(region).setInstanceId("i-" + region))
        .build());
    assertTrue(welcomed.await(5, TimeUnit.SECONDS), region + " welcomed");
    return stream;
  }

  private boolean connected(String region) {
    return node.loop().query(Sequencer::regionStatuses).join().stream().filter(s -> s.region().equals(region))
        .findFirst().map(RegionNodeStatus::connected).orElse(false);
  }
}
