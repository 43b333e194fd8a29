package flashsale.arbiter.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * For testing: one contender's handle on a leader lease kept in memory by a {@link Table}, under
 * the rules {@link RedisLeaderLease} keeps in Redis ({@link LeaderLeaseContract} holds both to
 * them). The lease expires a ttl after its last renewal on the table's clock. Replies are complete
 * on return.
 */
public final class InMemoryLeaderLease implements LeaderLease {
  private final Table table;
  private final String advertise;
  private final long ttlNanos;

  private InMemoryLeaderLease(Table table, String advertise, LeaseSettings settings) {
    this.table = table;
    this.advertise = advertise;
    this.ttlNanos = TimeUnit.MILLISECONDS.toNanos(settings.ttlMs());
  }

  /** The one lease the contenders compete for, as the Redis keys are: its holder, epoch counter and expiry. */
  public static final class Table {
    private final LongSupplier nanoTime;
    private long epochCounter;
    private InMemoryLeaderLease holder; // null while free
    private long heldEpoch;
    private long expiresAtNanos;

    /** @param nanoTime the monotonic clock leases expire on: a test's fake one, or {@code System::nanoTime} */
    public Table(LongSupplier nanoTime) {
      this.nanoTime = nanoTime;
    }

    /** A new contender: its own owner, as a new process is, whatever address it advertises. */
    public InMemoryLeaderLease contender(String advertise, LeaseSettings settings) {
      return new InMemoryLeaderLease(this, advertise, settings);
    }

    /** Ends the lease now, unknown to its holder, as its ttl running out or a store failover would. */
    public synchronized void expire() {
      holder = null;
    }

    private synchronized LeaseView acquire(InMemoryLeaderLease contender, long epochFloor) {
      dropIfExpired();
      if (holder != null && holder != contender) return new LeaseView(false, heldEpoch, holder.advertise);
      // A new epoch even when re-acquiring our own lease: the new term must fence our last one's writes.
      epochCounter = Math.max(epochCounter, epochFloor) + 1;
      holder = contender;
      heldEpoch = epochCounter;
      expiresAtNanos = nanoTime.getAsLong() + contender.ttlNanos;
      return new LeaseView(true, heldEpoch, contender.advertise);
    }

    private synchronized LeaseView holder() {
      dropIfExpired();
      return holder == null ? new LeaseView(false, 0, "") : new LeaseView(false, heldEpoch, holder.advertise);
    }

    private synchronized boolean renew(InMemoryLeaderLease contender, long epoch) {
      if (!heldBy(contender, epoch)) return false;
      expiresAtNanos = nanoTime.getAsLong() + contender.ttlNanos;
      return true;
    }

    private synchronized void release(InMemoryLeaderLease contender, long epoch) {
      if (heldBy(contender, epoch)) holder = null;
    }

    private boolean heldBy(InMemoryLeaderLease contender, long epoch) {
      dropIfExpired();
      return holder == contender && heldEpoch == epoch;
    }

    private void dropIfExpired() {
      if (holder != null && nanoTime.getAsLong() - expiresAtNanos >= 0) holder = null;
    }
  }

  @Override
  public CompletionStage<LeaseView> tryAcquire(long epochFloor) {
    return CompletableFuture.completedFuture(table.acquire(this, epochFloor));
  }

  @Override
  public CompletionStage<LeaseView> holder() {
    return CompletableFuture.completedFuture(table.holder());
  }

  @Override
  public CompletionStage<Boolean> renew(long epoch) {
    return CompletableFuture.completedFuture(table.renew(this, epoch));
  }

  @Override
  public void release(long epoch) {
    table.release(this, epoch);
  }

  @Override
  public CompletionStage<Void> releaseAsync(long epoch) {
    release(epoch);
    return CompletableFuture.completedFuture(null);
  }

  /** Leaves a held lease to expire, as a closed Redis connection does. */
  @Override
  public void close() {}
}
