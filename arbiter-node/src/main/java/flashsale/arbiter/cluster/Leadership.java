package flashsale.arbiter.cluster;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this node's side of the leader election on its own thread: a standby tries to acquire the
 * lease every renew interval, the leader renews it. The leader steps down when a renewal finds
 * the lease gone, when it could not renew for {@link LeaseSettings#trustedMs()} (Redis away, or
 * this process paused), or when the store fences one of its writes ({@link #fenced}). Listener
 * calls happen on the leadership thread, one at a time.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  /** What a change of role does to the node. */
  public interface Listener {
    /** This node leads under {@code epoch}: rebuild from the store, then serve. */
    void elected(long epoch);

    /** This node no longer leads (or never did): stop deciding, point callers at {@code leaderAddress}. */
    void deposed(String why, String leaderAddress);
  }

  private final LeaderLease lease;
  private final LeaseSettings settings;
  private final Listener listener;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().name("leadership").unstarted(r));
  private long epoch; // 0 while standby; leadership thread only
  private long trustedUntilNanos;
  private volatile String leaderAddress = "";

  /** @param nanoTime monotonic clock, injectable for tests */
  public Leadership(LeaderLease lease, LeaseSettings settings, Listener listener, LongSupplier nanoTime) {
    this.lease = lease;
    this.settings = settings;
    this.listener = listener;
    this.nanoTime = nanoTime;
  }

  public void start() {
    thread.scheduleWithFixedDelay(this::tick, 0, settings.renewIntervalMs(), TimeUnit.MILLISECONDS);
  }

  /** The leader's advertised address as last seen; empty when unknown. Any thread. */
  public String leaderAddress() {
    return leaderAddress;
  }

  /** The store refused a write of {@code fencedEpoch}: a newer leader exists. Any thread. */
  public void fenced(long fencedEpoch, String detail) {
    thread.execute(() -> {
      if (epoch == fencedEpoch) stepDown("write fenced: " + detail);
    });
  }

  private void tick() {
    try {
      if (epoch == 0) tryAcquire();
      else renew();
    } catch (RuntimeException e) {
      log.warn("lease call failed epoch={}: {}", epoch, e.toString());
      if (epoch != 0 && nanoTime.getAsLong() - trustedUntilNanos > 0) stepDown("lease not renewed in time: " + e);
    }
  }

  private void tryAcquire() {
    long startNanos = nanoTime.getAsLong();
    LeaseView view = lease.tryAcquire();
    leaderAddress = view.leaderAddress();
    if (!view.mine()) return;
    epoch = view.epoch();
    trustedUntilNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(settings.trustedMs());
    log.info("lease acquired epoch={} ttlMs={} renewMs={}", epoch, settings.ttlMs(), settings.renewIntervalMs());
    try {
      listener.elected(epoch);
    } catch (RuntimeException e) {
      stepDown("rebuild failed: " + e);
    }
  }

  private void renew() {
    long startNanos = nanoTime.getAsLong();
    if (startNanos - trustedUntilNanos > 0) {
      stepDown("lease expired before renewal (paused or slow) epoch=" + epoch);
      return;
    }
    if (!lease.renew(epoch)) {
      stepDown("lease lost epoch=" + epoch);
      return;
    }
    trustedUntilNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(settings.trustedMs());
  }

  private void stepDown(String why) {
    log.warn("stepping down epoch={}: {}", epoch, why);
    epoch = 0;
    leaderAddress = "";
    listener.deposed(why, "");
  }

  /** Stops the election; a leader gives its lease up so a standby takes over at once. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (epoch != 0) {
      try {
        lease.release(epoch);
        log.info("lease released epoch={}", epoch);
      } catch (RuntimeException e) {
        log.warn("lease release failed epoch={}: {}", epoch, e.toString());
      }
    }
    lease.close();
  }
}
