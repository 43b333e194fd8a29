package flashsale.arbiter;

import flashsale.arbiter.cluster.LeaderGate;
import flashsale.arbiter.cluster.LeaderRole;
import flashsale.arbiter.cluster.LeaderState;
import flashsale.arbiter.cluster.Leadership;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.arbiter.events.EventCatalog;
import flashsale.arbiter.events.EventRegistry;
import flashsale.arbiter.grpc.AdminEventQuota;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.grpc.OrderGrpcService;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerGrpcService;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.arbiter.modes.PoolViews;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.sale.Partitions;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import flashsale.store.OrderStores;
import flashsale.v1.ArbiterWelcome;
import flashsale.wire.Errors;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Everything that decides one partition of the events: its sequencer loop, region streams, event
 * catalog and services, behind a gate that is open only while this node leads the partition. With
 * one partition this is the whole arbiter; with several, each has its own lease and fencing epoch,
 * and the node's router sends each call to the partition of its event.
 */
final class ArbiterPartition {
  final int partition;
  final SequencerLoop loop;
  final RegionSessions sessions = new RegionSessions();
  final EventRegistry events = new EventRegistry();
  final EventCatalog catalog;
  final EventAdminGrpcService admin;
  final SequencerGrpcService sequencer;
  /** Null when the store keeps no orders. */
  final OrderGrpcService orders;
  private final ArbiterStore store;
  private final Partitions partitions;
  private final SequencerConfig sequencerConfig;
  private LeaderGate gate;
  private Leadership leadership; // null when alone
  private LeaderRole role; // null when alone

  ArbiterPartition(int partition, Partitions partitions, ArbiterConfig config, SequencerConfig sequencerConfig,
      ArbiterStore store, InstantSource clock, MeterRegistry metrics, PoolViews pools, AdminEventQuota adminQuota) {
    this.partition = partition;
    this.partitions = partitions;
    this.store = store;
    this.sequencerConfig = sequencerConfig;
    sessions.endUnreadStreamsAfter(config.regionStreamUnreadLimitMs(), config.regionStreamUnreadLimitBytes(), System::nanoTime);
    this.loop = new SequencerLoop(new Sequencer(sequencerConfig), store, clock, sessions, new ArbiterMetrics(metrics), partitions.partition(partition),
        partitions.count() == 1 ? "sequencer-loop" : "sequencer-loop-p" + partition);
    this.catalog = new EventCatalog(store, pools, loop, events, sessions::announce);
    this.admin = new EventAdminGrpcService(store, loop, catalog, new SecureRandom(), pools, adminQuota);
    loop.onFinished(catalog::finished);
    // After the win: order books on the loop, when the store keeps orders (payment windows, waitlists).
    OrderStore orderStore = OrderStores.of(store).orElse(null);
    OrderRunner orderRunner = null;
    if (orderStore != null) {
      catalog.keepOrdersIn(orderStore);
      orderRunner = loop.enableOrders(orderStore, store, clock);
      this.orders = new OrderGrpcService(store, orderStore, loop, orderRunner);
    } else {
      this.orders = null;
    }
    var welcome = ArbiterWelcome.newBuilder()
        .setArbiterId(config.arbiterId())
        .setMaxClockSkewMicros(config.maxClockSkewMicros())
        .setMaxTicketAgeMicros(sequencerConfig.maxTicketAgeMicros())
        .setPartition(partition)
        .setPartitionCount(partitions.count())
        .build();
    this.sequencer = new SequencerGrpcService(loop, store, sessions, events, welcome, admin::findOrLoad, orderStore,
        orderRunner, config.authenticator());
  }

  /** Alone: leads from the start, unfenced. */
  void leadAlone() {
    this.gate = new LeaderGate(() -> "");
    gate.open();
  }

  /**
   * One of a cluster: a standby until {@code election} (given this partition's listener) wins
   * its lease and the partition has recovered.
   */
  void compete(Function<Leadership.Listener, Leadership> election, Consumer<LeaderState> stateListener) {
    loop.standBy();
    Leadership[] self = new Leadership[1]; // written once, read by the loop and the gate's callers
    // The loop may ask the gate before the election below is made: no leader known, no lease held.
    this.gate = new LeaderGate(() -> self[0] == null ? "" : self[0].leaderAddress(),
        () -> self[0] != null && self[0].holdsLease());
    loop.execute(() -> {
      sessions.refuseUnless(gate::isOpen, gate::refusal);
      sessions.refuseAll(gate::refusal); // a standby until it has won and recovered
    });
    this.role = new LeaderRole(store, loop, sessions, events, catalog, gate, () -> new Sequencer(sequencerConfig),
        stateListener, eventId -> partitions.of(eventId) == partition);
    this.leadership = election.apply(role);
    self[0] = leadership;
    loop.onFenced(epoch -> leadership.fenced(epoch, "store fenced a batch"));
  }

  /** Alone: loads this partition's live events and the recorded region nodes. */
  void loadAlone() {
    List<String> nodes = store.regionNodes(partitions.partition(partition)); // waited for, as a new leader does
    loop.input(q -> q.regionNodesRecorded(nodes, loop.nowMicros()));
    for (EventSpec spec : store.listLiveEvents(eventId -> partitions.of(eventId) == partition)) {
      catalog.registerOrLeaveUnopened(spec).join();
    }
  }

  LeaderGate gate() {
    return gate;
  }

  /** Null when alone. */
  Leadership leadership() {
    return leadership;
  }

  LeaderState state() {
    return leadership == null ? LeaderState.LEADING : leadership.state();
  }

  long epoch() {
    return leadership == null ? 0 : leadership.epoch();
  }

  /** Stops competing (a single lease is given up here; partition leases by their owner). */
  void stopCompeting(boolean closeLeadership) {
    if (leadership != null && closeLeadership) leadership.close();
    if (role != null) role.close();
  }

  /** Ends every region stream (they reconnect elsewhere) and stops the loop. */
  void close() {
    loop.execute(() -> sessions.closeAll(Errors.error(ErrorReason.SHUTTING_DOWN, "arbiter is stopping")));
  }
}
