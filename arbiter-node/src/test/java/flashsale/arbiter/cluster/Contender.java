package flashsale.arbiter.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One arbiter's side of the election, in-process, on the real {@link RedisLeaderLease}: records
 * every role change it is told of (recovery is instant), and can freeze its lease calls (their
 * replies never come, as on a hung connection, until thawed).
 */
final class Contender implements Leadership.Listener, AutoCloseable {
  final String address;
  final LinkedBlockingQueue<Long> elections = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<String> depositions = new LinkedBlockingQueue<>();
  final Leadership leadership;
  private volatile CountDownLatch frozen;
  private volatile long epoch;

  Contender(String redisUri, String nodeId, LeaseSettings settings) {
    this.address = "127.0.0.1:" + (40_000 + Math.abs(nodeId.hashCode() % 10_000));
    LeaderLease real = new RedisLeaderLease(redisUri, nodeId, address, settings);
    this.leadership = new Leadership(new FreezableLease(real), settings, this);
  }

  Contender start() {
    leadership.start();
    return this;
  }

  /** The epoch this node leads under; 0 while standby. */
  long epoch() {
    return epoch;
  }

  void freeze() {
    frozen = new CountDownLatch(1);
  }

  void thaw() {
    CountDownLatch latch = frozen;
    frozen = null;
    if (latch != null) latch.countDown();
  }

  /** The next election this node is told of, waiting up to {@code timeoutMs}; fails if none. */
  long awaitElected(long timeoutMs) throws InterruptedException {
    Long elected = elections.poll(timeoutMs, TimeUnit.MILLISECONDS);
    if (elected == null) throw new AssertionError(address + " was not elected within " + timeoutMs + " ms");
    return elected;
  }

  @Override
  public void elected(Leadership.Term term) {
    epoch = term.epoch();
    elections.add(term.epoch());
    term.recovered();
  }

  @Override
  public void leading(long leadingEpoch) {}

  @Override
  public void deposed(String why, String leaderAddress) {
    epoch = 0;
    depositions.add(why);
  }

  @Override
  public void close() {
    thaw();
    leadership.close();
  }

  /** Passes every call through, unless frozen: then it blocks until thawed. */
  private final class FreezableLease implements LeaderLease {
    private final LeaderLease real;

    FreezableLease(LeaderLease real) {
      this.real = real;
    }

    /** {@code call} now, or once thawed when frozen. */
    private <T> CompletionStage<T> whenThawed(Supplier<CompletionStage<T>> call) {
      CountDownLatch latch = frozen;
      if (latch == null) return call.get();
      return CompletableFuture.runAsync(() -> {
        try {
          latch.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }).thenCompose(v -> call.get());
    }

    @Override
    public CompletionStage<LeaseView> tryAcquire(long epochFloor) {
      return whenThawed(() -> real.tryAcquire(epochFloor));
    }

    @Override
    public CompletionStage<Boolean> renew(long leaseEpoch) {
      return whenThawed(() -> real.renew(leaseEpoch));
    }

    @Override
    public CompletionStage<LeaseView> holder() {
      return whenThawed(real::holder);
    }

    @Override
    public void release(long leaseEpoch) {
      real.release(leaseEpoch);
    }

    @Override
    public void close() {
      real.close();
    }
  }
}
