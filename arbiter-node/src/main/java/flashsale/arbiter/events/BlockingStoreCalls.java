package flashsale.arbiter.events;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Where work that blocks on the store runs off the loop and gRPC threads: a virtual thread each.
 * Not the common pool: through a Redis stall each such call blocks up to the command timeout, and
 * on a host of 2 cores the common pool is a new platform thread per task, on a larger one a few
 * blocked calls would starve everything else queued there.
 */
public final class BlockingStoreCalls {
  public static final ExecutorService EXECUTOR =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("store-call-", 0).factory());

  private BlockingStoreCalls() {}
}
