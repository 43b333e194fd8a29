package flashsale.arbiter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.arbiter.testing.RegionStreamArbiter;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.SequenceRequest;
import flashsale.v1.Watermark;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A region's messages wait in its stream's HTTP/2 window, not in the arbiter's heap, once the
 * sequencer loop is far behind: past the loop's high-water mark ({@code
 * RegionStream.LOOP_HIGH_WATER_MESSAGES}) at most a window of one stream's messages ({@code
 * RegionStream.MAX_MESSAGES_QUEUED}) more are queued, and every one is taken up, in order, once it
 * moves again.
 */
class RegionMessageFlowControlTest {
  /** RegionStream.LOOP_HIGH_WATER_MESSAGES, then its MAX_MESSAGES_QUEUED and the first ask's one more. */
  private static final int MOST_QUEUED = 10_000 + 256 + 1;
  private static final int SENT = 30_000;

  @Test
  void aStalledLoopQueuesAtMostAWindowOfAStreamsMessagesAndLosesNone() throws Exception {
    try (var arbiter = new RegionStreamArbiter(new InMemoryArbiterStore())) {
      assertTrue(arbiter.received.poll(5, TimeUnit.SECONDS).hasWelcome(), "welcomed");
      SequencerLoop loop = arbiter.node.loop();
      var release = new CountDownLatch(1);
      loop.execute(() -> awaitQuietly(release));
      int queuedBefore = loop.queuedTasks();
      long firstMicros = loop.nowMicros();
      for (int i = 1; i <= SENT; i++) {
        arbiter.stream.onNext(SequenceRequest.newBuilder()
            .setWatermark(Watermark.newBuilder().setWatermarkMicros(firstMicros + i)).build());
      }
      long lastWatermarkMicros = firstMicros + SENT;
      Thread.sleep(500); // what the transport would hand over has been handed over by now
      int queuedForStream = loop.queuedTasks() - queuedBefore;
      release.countDown();
      assertTrue(queuedForStream <= MOST_QUEUED,
          queuedForStream + " of the stream's " + SENT + " messages queued for a stalled loop (at most " + MOST_QUEUED + ")");

      long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long seenMicros = 0;
      while (System.nanoTime() < deadlineNanos) {
        seenMicros = loop.query(q -> q.regionStatuses().stream().filter(s -> s.region().equals("east"))
            .mapToLong(s -> s.watermarkMicros().orElse(0)).max().orElse(0)).get(5, TimeUnit.SECONDS);
        if (seenMicros == lastWatermarkMicros) break;
        Thread.sleep(20);
      }
      assertTrue(seenMicros == lastWatermarkMicros, "the loop took the stream's messages up to watermark "
          + (seenMicros - firstMicros) + " of " + SENT + " after it moved again");
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
