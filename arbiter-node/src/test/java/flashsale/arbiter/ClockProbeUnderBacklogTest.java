package flashsale.arbiter;

import flashsale.arbiter.testing.RegionStreamArbiter;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.ClockProbe;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A leader whose loop is seconds behind (a burst, a region's resend) still answers a region's
 * clock probe at once, so the region does not take it for silent, drop the stream and resend
 * everything again; a frozen loop does not answer, so the region still leaves it.
 */
class ClockProbeUnderBacklogTest {
  private RegionStreamArbiter arbiter;
  private ArbiterNode node;
  private ManagedChannel channel;
  private BlockingQueue<SequenceResponse> received;
  private StreamObserver<SequenceRequest> stream;

  @BeforeEach
  void start() throws Exception {
    arbiter = new RegionStreamArbiter(new InMemoryArbiterStore());
    node = arbiter.node;
    channel = arbiter.channel;
    received = arbiter.received;
    stream = arbiter.stream;
    assertTrue(next(5_000).hasWelcome(), "welcomed");
  }

  @AfterEach
  void stop() {
    arbiter.close();
  }

  @Test
  void aBusyLoopStillAnswersAProbeAtOnce() throws Exception {
    for (int i = 0; i < 300; i++) node.loop().execute(() -> sleepMs(10)); // 3 s of backlog, finishing tasks
    Thread.sleep(100);
    long sentNanos = System.nanoTime();
    probe();
    SequenceResponse reply = nextClockReply(2_000);
    long tookMs = (System.nanoTime() - sentNanos) / 1_000_000;
    assertTrue(reply != null && tookMs < 1_000, "clock reply behind a 3 s backlog took " + tookMs + " ms");
  }

  @Test
  void aFrozenLoopLeavesTheProbeUnanswered() throws Exception {
    node.loop().execute(() -> sleepMs(2_500)); // one task that does not end: nothing finishes
    Thread.sleep(800);
    probe();
    assertNull(nextClockReply(1_000), "a frozen loop answered a probe: a region would never leave it");
    assertTrue(nextClockReply(3_000) != null, "answered once the loop moved again");
  }

  private void probe() {
    stream.onNext(SequenceRequest.newBuilder().setClockProbe(ClockProbe.newBuilder().setOriginMicros(1)).build());
  }

  private SequenceResponse nextClockReply(long waitMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
    while (true) {
      SequenceResponse message = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (message == null || message.hasClockReply()) return message;
    }
  }

  private SequenceResponse next(long waitMs) throws InterruptedException {
    return received.poll(waitMs, TimeUnit.MILLISECONDS);
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
