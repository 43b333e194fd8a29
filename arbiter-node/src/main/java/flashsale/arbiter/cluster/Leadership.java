package flashsale.arbiter.cluster;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the leader election, on one thread that does nothing else: every renew
 * interval a standby tries to acquire the lease and the leader renews it. Lease calls are
 * asynchronous and go one at a time: the thread never waits on Redis, and a slow reply is waited
 * for rather than stacked behind.
 *
 * <p>The leader steps down only when its lease is really lost: a renewal answered "not yours", a
 * write fenced by the store ({@link #fenced}), a failed recovery, or no successful renewal for a
 * whole ttl on the monotonic clock. The ttl counts from the <em>start</em> of the last successful
 * call (Redis' ttl began no earlier); while a renewal is still awaiting its reply it counts from
 * that renewal's start instead, because its success would prove the lease never lapsed (Redis
 * answers "not yours" to a renewal that arrives after expiry). So one late renewal costs nothing,
 * a failed one is retried at the next tick, and a hung one ends the term a ttl after it began.
 *
 * <p>Listener calls happen on the leadership thread and must not block: recovery runs elsewhere
 * and reports back through its {@link Term}. The state ({@link #state()}) goes STANDBY → RECOVERING
 * → LEADING → STANDBY.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leadership.class);
  /**
   * A lease seen unheld this many ttls by a node at its share is taken past the share: the nodes
   * below it are not taking it (one may fail every recovery and free it each time).
   */
  static final long ORPHAN_AFTER_TTLS = 2;
  /**
   * A lease so taken is kept this many ttls before it is given up to rebalance: well past a failing
   * node's longest back-off (16 ttls), so if that node takes it back and fails again, the partition
   * goes without a leader for about two ttls in every 66, not every 18.
   */
  static final long ORPHAN_KEEP_TTLS = 64;

  /** One term this node won: its recovery reports here when it is done. Any thread. */
  public interface Term {
    long epoch();

    /** Recovery finished: the node leads, unless the term has ended meanwhile. */
    void recovered();

    /** Recovery failed: the node steps down (and competes again). */
    void failed(String why);

    /**
     * Recovery found an event held under {@code claimedEpoch}, at or above this term's (the
     * store's epoch counter went back, e.g. in a failover): the node steps down and its next
     * acquire takes an epoch above {@code claimedEpoch}.
     */
    void fencedBy(long claimedEpoch, String why);
  }

  /** What a change of role does to the node. Every call must return at once. */
  public interface Listener {
    /** This node won the lease: start recovering (elsewhere) and report through {@code term}. */
    void elected(Term term);

    /** The term's recovery finished while this node still holds the lease: serve. */
    void leading(long epoch);

    /** This node no longer leads: stop deciding, refuse calls, point callers at {@code leaderAddress}. */
    void deposed(String why, String leaderAddress);
  }

  private final LeaderLease lease;
  private final LeaseSettings settings;
  private final Listener listener;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService thread;
  /** This node's share of the partitions; shared by every partition's leadership on the same thread. */
  private final LeaseQuota quota;
  /** The thread is shared with other partitions' leaderships: closing stops only this one's ticks. */
  private final boolean sharedThread;
  private volatile java.util.concurrent.ScheduledFuture<?> ticks;
  /** Names this lease in logs ("" for the single lease, "partition=3 " for one of several). */
  private final String name;
  // Leadership thread only:
  private long epoch; // 0 while standby
  private volatile long trustedFromNanos; // start of the last successful acquire or renewal of this term
  private boolean acquiring;
  private boolean renewing;
  private long renewStartNanos;
  private long renewCalls; // tells the reply of the renewal in flight from one an ended term left behind
  private long epochFloor; // highest epoch seen holding an event: the next acquire goes above it
  private int failedRecoveries; // in a row, since this node last led: each doubles the wait below
  private long noAcquireUntilNanos; // after a failed recovery: another node may do better meanwhile
  private boolean seenUnheld; // at its share, look-ups found nobody holding the lease, since unheldSinceNanos
  private long unheldSinceNanos;
  private boolean acquiringPastShare; // the acquire in flight is for a lease nobody else takes
  private boolean keepingPastShare; // this lease was taken past the share: kept (not counted over it) until then
  private long keepPastShareUntilNanos;
  // Any thread:
  private volatile LeaderState state = LeaderState.STANDBY;
  private volatile long leadingEpoch;
  private volatile String leaderAddress = "";

  /** On its own "leadership" thread and the system's monotonic clock. */
  public Leadership(LeaderLease lease, LeaseSettings settings, Listener listener) {
    this(lease, settings, listener, System::nanoTime, Executors.newSingleThreadScheduledExecutor(
        r -> Thread.ofPlatform().daemon().name("leadership").unstarted(r)));
  }

  /**
   * @param nanoTime monotonic clock, injectable for tests
   * @param thread runs every lease step and listener call, one at a time; nothing else may run on
   *     it (injectable for tests: a direct executor and manual {@link #tick()}s)
   */
  Leadership(LeaderLease lease, LeaseSettings settings, Listener listener, LongSupplier nanoTime,
      ScheduledExecutorService thread) {
    this(lease, settings, listener, nanoTime, thread, LeaseQuota.unlimited(), false, "");
  }

  /**
   * One partition's lease among several: {@code thread} is shared by all of them (and by the
   * roster that updates {@code quota}), and stays running when this one closes.
   */
  Leadership(LeaderLease lease, LeaseSettings settings, Listener listener, LongSupplier nanoTime,
      ScheduledExecutorService thread, LeaseQuota quota, int partition) {
    this(lease, settings, listener, nanoTime, thread, quota, true, "partition=" + partition + " ");
  }

  private Leadership(LeaderLease lease, LeaseSettings settings, Listener listener, LongSupplier nanoTime,
      ScheduledExecutorService thread, LeaseQuota quota, boolean sharedThread, String name) {
    this.lease = lease;
    this.settings = settings;
    this.listener = listener;
    this.nanoTime = nanoTime;
    this.thread = thread;
    this.quota = quota;
    this.sharedThread = sharedThread;
    this.name = name;
  }

  public void start() {
    ticks = thread.scheduleAtFixedRate(this::tick, 0, settings.renewIntervalMs(), TimeUnit.MILLISECONDS);
  }

  public LeaderState state() {
    return state;
  }

  /** The epoch of the current term while RECOVERING or LEADING; 0 while STANDBY. */
  public long epoch() {
    return leadingEpoch;
  }

  /**
   * True while this node holds the lease (recovering or leading) and its last successful renewal
   * began less than a ttl ago. Unlike {@link #state()} this turns false by itself when the node was
   * paused past its lease, before the leadership thread has run again. Any thread.
   */
  public boolean holdsLease() {
    return state != LeaderState.STANDBY
        && nanoTime.getAsLong() - trustedFromNanos < TimeUnit.MILLISECONDS.toNanos(settings.ttlMs());
  }

  /** The leader's advertised address as last seen; empty when unknown. */
  public String leaderAddress() {
    return leaderAddress;
  }

  /** The store refused a write of {@code fencedEpoch}: a newer leader exists. */
  public void fenced(long fencedEpoch, String detail) {
    post(() -> {
      if (epoch == fencedEpoch) stepDown("write fenced: " + detail);
    });
  }

  /** One step: give up an expired lease, then renew it or try to acquire one. Leadership thread. */
  void tick() {
    long nowNanos = nanoTime.getAsLong();
    if (epoch != 0) stepDownIfExpired(nowNanos);
    if (keepingPastShare && nowNanos - keepPastShareUntilNanos >= 0) stopKeepingPastShare();
    if (epoch != 0 && state == LeaderState.LEADING && quota.overShare()) {
      giveUp();
    } else if (epoch != 0) {
      if (!renewing) renew(epoch, nowNanos);
    } else if (!acquiring && (quota.mayAcquire() || orphaned(nowNanos))
        && (failedRecoveries == 0 || nowNanos - noAcquireUntilNanos >= 0)) {
      acquiringPastShare = !quota.mayAcquire();
      if (acquiringPastShare) {
        // Nobody below the share took it (a node that takes it may fail every recovery and free
        // it again): led past the share rather than not at all, and not given straight back.
        log.warn("{}lease unheld for {} ms while this node is at its share of {}: competing for it past the share",
            name, (nowNanos - unheldSinceNanos) / 1_000_000, quota.share());
      }
      acquire(nowNanos);
    } else if (!acquiring) {
      lookUpHolder(); // at its share: does not compete, but still names the holder to callers
    }
  }

  private void lookUpHolder() {
    acquiring = true; // one lease call at a time, as for acquires
    call(lease::holder, view -> {
      acquiring = false;
      if (epoch == 0) leaderAddress = view.leaderAddress();
      if (!view.leaderAddress().isEmpty()) {
        seenUnheld = false;
      } else if (!seenUnheld) {
        seenUnheld = true;
        unheldSinceNanos = nanoTime.getAsLong();
      }
    }, error -> acquiring = false);
  }

  /** The lease taken past the share counts against it again (given up at the next tick if over). */
  private void stopKeepingPastShare() {
    keepingPastShare = false;
    quota.stopKeepingPastShare();
  }

  /** At its share, this node has seen the lease unheld for {@link #ORPHAN_AFTER_TTLS} ttls: nobody else is taking it. */
  private boolean orphaned(long nowNanos) {
    return seenUnheld
        && nowNanos - unheldSinceNanos >= TimeUnit.MILLISECONDS.toNanos(ORPHAN_AFTER_TTLS * settings.ttlMs());
  }

  /** Over the node's fair share: stop leading, then free the lease so a node below its share takes it. */
  private void giveUp() {
    long held = epoch;
    stepDown("giving the lease up to rebalance: this node leads " + quota.held() + " partitions, its share is "
        + quota.share() + " with " + quota.liveArbiters() + " live arbiters");
    releaseSoon(held);
  }

  /** Frees the lease without waiting for the store, so another node takes it before it expires. */
  private void releaseSoon(long heldEpoch) {
    lease.releaseAsync(heldEpoch).whenComplete((ok, error) -> {
      if (error != null) log.warn("{}lease release failed epoch={}: {} (it expires after the ttl)", name, heldEpoch, error.toString());
    });
  }

  /**
   * A recovery that failed here may fail again (an event this build cannot read, a store this node
   * cannot reach) while another node would recover: the lease is freed at once, and this node waits
   * a ttl, doubling with each failure in a row up to 16 ttls, before it competes again. Without it,
   * the lease's own holder re-acquired at the next tick, and the partition never led.
   */
  private void backOffAfterFailedRecovery(long heldEpoch) {
    failedRecoveries++;
    long waitMs = settings.ttlMs() << Math.min(failedRecoveries - 1, 4);
    noAcquireUntilNanos = nanoTime.getAsLong() + TimeUnit.MILLISECONDS.toNanos(waitMs);
    log.warn("{}recovery failed {} time(s) in a row: lease released, competing again in {} ms", name,
        failedRecoveries, waitMs);
    releaseSoon(heldEpoch);
  }

  private void stepDownIfExpired(long nowNanos) {
    long fromNanos = renewing ? renewStartNanos : trustedFromNanos;
    if (nowNanos - fromNanos < TimeUnit.MILLISECONDS.toNanos(settings.ttlMs())) return;
    stepDown("no successful renewal for " + (nowNanos - trustedFromNanos) / 1_000_000 + " ms (ttl "
        + settings.ttlMs() + " ms)");
  }

  private void acquire(long startNanos) {
    acquiring = true;
    // Counted against the share only while nobody is known to hold this lease: an acquire of one
    // another node holds cannot win, and counting it would let held partitions ticked first use
    // up the room of a free one ticked later, every round.
    boolean counted = leaderAddress.isEmpty();
    if (counted) quota.acquireSent();
    long floor = epochFloor;
    call(() -> lease.tryAcquire(floor), view -> {
      acquiring = false;
      quota.acquireAnswered(counted, view.mine());
      leaderAddress = view.leaderAddress();
      seenUnheld = false;
      boolean pastShare = acquiringPastShare;
      acquiringPastShare = false;
      if (!view.mine()) return;
      if (pastShare) {
        keepingPastShare = true;
        keepPastShareUntilNanos = nanoTime.getAsLong() + TimeUnit.MILLISECONDS.toNanos(ORPHAN_KEEP_TTLS * settings.ttlMs());
        quota.keepPastShare();
      }
      epoch = view.epoch();
      trustedFromNanos = startNanos;
      leadingEpoch = epoch;
      state = LeaderState.RECOVERING;
      log.info("{}lease acquired epoch={} ttlMs={} renewMs={}", name, epoch, settings.ttlMs(), settings.renewIntervalMs());
      listener.elected(new TermHandle(epoch));
    }, error -> {
      acquiring = false;
      acquiringPastShare = false;
      quota.acquireAnswered(counted, false);
      log.warn("{}lease acquire failed error=\"{}\"", name, error.toString());
    });
  }

  private void renew(long termEpoch, long startNanos) {
    renewing = true;
    renewStartNanos = startNanos;
    long callNo = ++renewCalls;
    call(() -> lease.renew(termEpoch), mine -> {
      if (callNo != renewCalls) return; // a term that ended already
      renewing = false;
      if (!mine) {
        stepDown("renewal answered: the lease is no longer ours");
        return;
      }
      trustedFromNanos = startNanos;
      long nowNanos = nanoTime.getAsLong();
      long replyMs = (nowNanos - startNanos) / 1_000_000;
      stepDownIfExpired(nowNanos);
      if (epoch == termEpoch && replyMs >= settings.renewIntervalMs()) {
        // Late: the next tick may come too close to this renewal's ttl, so renew again now.
        log.warn("{}lease renewed late epoch={} replyMs={}", name, termEpoch, replyMs);
        renew(termEpoch, nowNanos);
      }
    }, error -> {
      if (callNo != renewCalls) return;
      renewing = false;
      log.warn("{}lease renewal failed epoch={} trustedForMs={}: {}", name, termEpoch,
          settings.ttlMs() - (nanoTime.getAsLong() - trustedFromNanos) / 1_000_000, error.toString());
      stepDownIfExpired(nanoTime.getAsLong());
    });
  }

  /** Starts a lease call; its reply is handled on the leadership thread. */
  private <T> void call(java.util.function.Supplier<CompletionStage<T>> request,
      java.util.function.Consumer<T> onReply, java.util.function.Consumer<Throwable> onError) {
    CompletionStage<T> reply;
    try {
      reply = request.get();
    } catch (RuntimeException e) {
      onError.accept(e);
      return;
    }
    reply.whenCompleteAsync((value, error) -> {
      if (error != null) onError.accept(error);
      else onReply.accept(value);
    }, thread);
  }

  private void post(Runnable step) {
    try {
      thread.execute(step);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      log.debug("leadership closed; dropped a late step");
    }
  }

  private void stepDown(String why) {
    renewing = false;
    renewCalls++; // a reply still due belongs to the ended term and is ignored
    if (keepingPastShare) stopKeepingPastShare();
    log.warn("{}stepping down epoch={} state={}: {}", name, epoch, state, why);
    if (epoch != 0) quota.released();
    epoch = 0;
    leadingEpoch = 0;
    state = LeaderState.STANDBY;
    leaderAddress = "";
    listener.deposed(why, "");
  }

  /**
   * Stops the election; a leader stops leading ({@link Listener#deposed}), then gives its lease up
   * so a standby takes over at once.
   */
  @Override
  public void close() {
    long held;
    if (sharedThread) {
      held = stopTicking();
    } else {
      thread.shutdownNow();
      try {
        thread.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      held = leaveForStop(); // the thread has ended: nothing races this
    }
    try {
      if (held != 0) {
        lease.release(held);
        log.info("{}lease released epoch={}", name, held);
      }
    } catch (RuntimeException e) {
      log.warn("{}lease release failed epoch={}: {}", name, held, e.toString());
    } finally {
      lease.close();
    }
  }

  /**
   * Leaves the term for a stop, before the lease goes: once another node may lead, this one no
   * longer reads as leader (metrics, readiness), takes no call, and drops its sequencer and streams.
   * A step still due finds its term over. On the leadership thread, or once it has ended.
   *
   * @return the epoch held, 0 if none
   */
  private long leaveForStop() {
    long held = epoch;
    if (held == 0) return 0;
    try {
      stepDown("this arbiter is stopping"); // names no leader, not this node: it is going
    } catch (RuntimeException e) {
      log.warn("{}standing by for the stop failed: {}", name, e.toString()); // the lease goes all the same
    }
    return held;
  }

  /** On the shared thread: no more ticks, the term left ({@link #leaveForStop}), and the epoch held (0 if none). */
  private long stopTicking() {
    try {
      return thread.submit(() -> {
        if (ticks != null) ticks.cancel(false);
        return leaveForStop();
      }).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
        | java.util.concurrent.RejectedExecutionException e) {
      log.warn("{}leadership did not stop cleanly: {}", name, e.toString());
      return 0;
    }
  }

  private final class TermHandle implements Term {
    private final long termEpoch;

    TermHandle(long termEpoch) {
      this.termEpoch = termEpoch;
    }

    @Override
    public long epoch() {
      return termEpoch;
    }

    @Override
    public void recovered() {
      post(() -> {
        if (epoch != termEpoch || state != LeaderState.RECOVERING) return;
        state = LeaderState.LEADING;
        failedRecoveries = 0;
        listener.leading(termEpoch);
      });
    }

    @Override
    public void failed(String why) {
      post(() -> {
        if (epoch != termEpoch) return;
        stepDown("recovery failed: " + why);
        backOffAfterFailedRecovery(termEpoch);
      });
    }

    @Override
    public void fencedBy(long claimedEpoch, String why) {
      post(() -> {
        epochFloor = Math.max(epochFloor, claimedEpoch);
        if (epoch == termEpoch) stepDown("recovery fenced: " + why);
      });
    }
  }
}
