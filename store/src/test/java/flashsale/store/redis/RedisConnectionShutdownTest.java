package flashsale.store.redis;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A lettuce client whose shutdown never completes (lettuce #2278, seen in CI as a 14-minute hang
 * in a test's teardown) holds a store's close for {@link RedisConnection#SHUTDOWN_WAIT} and a
 * little more, not forever.
 */
class RedisConnectionShutdownTest {

  /** A client whose shutdown future never completes, as lettuce's sometimes does not. */
  private static final class StuckClient extends RedisClient {
    StuckClient(ClientResources resources) {
      super(resources, RedisURI.create("redis://127.0.0.1:1"));
    }

    @Override
    public CompletableFuture<Void> shutdownAsync(long quietPeriod, long timeout, TimeUnit timeUnit) {
      return new CompletableFuture<>();
    }
  }

  @Test
  void aShutdownThatNeverEndsIsLeftAfterTheWait() {
    ClientResources resources = DefaultClientResources.create();
    try {
      long started = System.nanoTime();
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> RedisConnection.shutDown(new StuckClient(resources)));
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMs >= RedisConnection.SHUTDOWN_WAIT.toMillis(), "waited " + tookMs + " ms");
    } finally {
      resources.shutdown(0, 1, TimeUnit.SECONDS);
    }
  }
}
