package flashsale.arbiter.cluster;

import flashsale.sale.Partitions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's leases when leadership is split into partitions: one {@link Leadership} per
 * partition, all on one "leadership" thread with the {@link ArbiterRoster} heartbeat that tells
 * them how many arbiters are live. Each partition acquires only while the node is below its fair
 * share and gives its lease up while above it (see {@link LeaseQuota}), so partitions spread evenly
 * and a node that dies loses only its own, which the others take once it drops off the roster.
 */
public final class PartitionLeaderships implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PartitionLeaderships.class);

  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().name("leadership").unstarted(r));
  private final ArbiterRoster roster;
  private final LeaseSettings settings;
  private final LeaseQuota quota;
  private final Partitions partitions;
  private final IntFunction<LeaderLease> leases;
  private final List<Leadership> leaderships = new ArrayList<>();
  private boolean heartbeatInFlight;

  /** @param leases opens the lease of each partition */
  public PartitionLeaderships(Partitions partitions, IntFunction<LeaderLease> leases, ArbiterRoster roster,
      LeaseSettings settings) {
    this.partitions = partitions;
    this.leases = leases;
    this.roster = roster;
    this.settings = settings;
    this.quota = new LeaseQuota(partitions);
  }

  /** The election of the next partition (0, 1, …), telling {@code listener} of its changes of role. */
  public Leadership join(Leadership.Listener listener) {
    int partition = leaderships.size();
    if (partition >= partitions.count()) throw new IllegalStateException("all " + partitions.count() + " partitions joined");
    Leadership leadership = new Leadership(leases.apply(partition), settings, listener, System::nanoTime, thread, quota,
        partition);
    leaderships.add(leadership);
    return leadership;
  }

  /** Joins the roster first, so the first acquires already know how many arbiters share the partitions. */
  public void start() {
    if (leaderships.size() != partitions.count()) {
      throw new IllegalStateException(leaderships.size() + " of " + partitions.count() + " partitions joined");
    }
    thread.scheduleAtFixedRate(this::heartbeat, 0, settings.renewIntervalMs(), TimeUnit.MILLISECONDS);
    try {
      thread.submit(() -> {}).get(); // the first heartbeat is sent before any partition ticks
    } catch (Exception e) {
      throw new IllegalStateException("leadership thread did not start", e);
    }
    leaderships.forEach(Leadership::start);
  }

  private void heartbeat() {
    if (heartbeatInFlight) return;
    heartbeatInFlight = true;
    roster.heartbeat().whenCompleteAsync((live, error) -> {
      heartbeatInFlight = false;
      if (error != null) {
        log.warn("arbiter roster heartbeat failed (keeping live={}): {}", quota.liveArbiters(), error.toString());
        return;
      }
      int before = quota.liveArbiters();
      quota.liveArbiters(live);
      if (live != before) {
        log.info("live arbiters {} -> {}: fair share {} partitions, this node holds {}", before, live, quota.share(),
            quota.held());
      }
    }, thread);
  }

  /** Gives every lease up and leaves the roster, so the other arbiters take over at once. */
  @Override
  public void close() {
    leaderships.forEach(Leadership::close);
    try {
      roster.leave();
    } catch (RuntimeException e) {
      log.warn("leaving the arbiter roster failed: {}", e.toString());
    }
    thread.shutdownNow();
    roster.close();
  }
}
