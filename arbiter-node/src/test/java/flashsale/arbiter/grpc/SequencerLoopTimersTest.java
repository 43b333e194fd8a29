package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.store.memory.InMemoryArbiterStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The arbiter loop's periodic timers outlive a run that throws (the sequencer and order ticks ride
 * on them), and a one-off task that throws is logged, not kept silently in a future nobody reads.
 */
class SequencerLoopTimersTest {
  private final SequencerLoop loop = new SequencerLoop(new Sequencer(SequencerConfig.defaults()),
      new InMemoryArbiterStore(), Clock.systemUTC(), new RegionSessions(), new ArbiterMetrics(new SimpleMeterRegistry()));

  @AfterEach
  void stop() {
    loop.close();
  }

  @Test
  void aPeriodicTaskThatThrowsRunsAgain() throws InterruptedException {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch threeRuns = new CountDownLatch(3);
    loop.scheduler().every(() -> {
      runs.incrementAndGet();
      threeRuns.countDown();
      throw new IllegalStateException("a tick that fails");
    }, 5);
    assertTrue(threeRuns.await(5, TimeUnit.SECONDS), "runs after a failing one: " + runs.get());
  }

  @Test
  void aTaskThatThrowsIsLoggedAndTheLoopGoesOn() throws InterruptedException {
    var seen = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    seen.start();
    var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(SequencerLoop.class);
    logger.addAppender(seen);
    try {
      CountDownLatch next = new CountDownLatch(1);
      assertTrue(loop.offer(() -> {
        throw new IllegalStateException("an order book's own check");
      }));
      loop.scheduler().schedule(() -> {
        throw new IllegalStateException("a batch's retry");
      }, 1);
      Thread.sleep(50);
      loop.execute(next::countDown);
      assertTrue(next.await(5, TimeUnit.SECONDS), "the loop runs the next task");
      for (String failure : List.of("an order book's own check", "a batch's retry")) {
        assertTrue(seen.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
            && e.getThrowableProxy() != null && e.getThrowableProxy().getMessage().equals(failure)),
            failure + " not logged: " + seen.list);
      }
    } finally {
      logger.detachAppender(seen);
    }
  }
}
