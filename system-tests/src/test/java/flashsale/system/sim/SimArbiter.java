package flashsale.system.sim;

import flashsale.sale.Partition;
import flashsale.arbiter.core.Effect;
import flashsale.arbiter.core.EventStatus;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.core.SequencerRunner;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.region.core.ArbiterStream.End;
import flashsale.region.core.ArbiterStream.Out;
import flashsale.region.core.StreamOutbox.Up;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.StoreFencedException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One arbiter node on the simulated network: the production {@link SequencerRunner} and
 * {@link Sequencer} on a {@link NodeLoop}, behind the stream handling the gRPC adapters do
 * ({@code RegionStream}, {@code RegionSessions}, {@code LeaderRole}'s recovery) written again
 * for domain messages: hello and its welcome, one current stream per region, refusal with
 * NOT_LEADER while not leading, recovery from the store's live events under a new epoch. Its
 * production {@link OrderRunner} runs the order books on the same loop, wired as {@code
 * SequencerLoop} wires it, and {@link SimOrderDesk} is its order API. Its {@link
 * SimShardCoordinator} rebalances SHARDED events.
 */
final class SimArbiter {
  /** One stream as the arbiter holds it: the region it proved and the stream itself. */
  record Session(String region, SimNet.Stream stream) {}

  final String name;
  final NodeLoop loop;
  final SimClock clock;
  private final ArbiterStore store;
  private final SequencerConfig config;
  private final SimOracle oracle;
  private final SimOrderStore orderStore;
  private final SimOrderOracle orderOracle;
  /** Who this node believes leads (for NOT_LEADER), empty if it does not know. */
  private final Supplier<String> knownLeader;
  private final SimShards shards;
  private SequencerRunner runner;
  private OrderRunner orders;
  private SimShardCoordinator shardCoordinator;
  private int boots;
  final SimOrderDesk desk;
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final Map<String, EventSpec> events = new LinkedHashMap<>();
  /** Region streams are welcome: leading, with the term's events loaded. */
  private boolean admitting;
  private long recoveringEpoch;

  SimArbiter(String name, SimScheduler scheduler, SimClock clock, ArbiterStore store, SequencerConfig config,
      SimOracle oracle, SimOrderStore orderStore, SimOrderOracle orderOracle, Supplier<String> knownLeader,
      SimShards shards) {
    this.name = name;
    this.shards = shards;
    this.clock = clock;
    this.loop = new NodeLoop(scheduler, clock);
    this.store = store;
    this.config = config;
    this.oracle = oracle;
    this.knownLeader = knownLeader;
    this.orderStore = orderStore;
    this.orderOracle = orderOracle;
    this.desk = new SimOrderDesk(this, orderStore, store, orderOracle);
    boot();
  }

  /** A fresh process: a standby with nothing in memory. */
  private void boot() {
    runner = new SequencerRunner(store, clock, loop, new Outlet());
    runner.standBy();
    runner.startTicking();
    orders = new OrderRunner(orderStore.of(loop), store, clock, loop, orderStore.reads(loop));
    orders.startTicking();
    shardCoordinator = new SimShardCoordinator(this, shards, store, name + "." + ++boots);
    sessions.clear();
    events.clear();
    admitting = false;
    recoveringEpoch = 0;
  }

  void crash() {
    loop.crash();
  }

  void restart() {
    loop.restart();
    boot();
  }

  /** A region's shard report ({@code ShardGrpcService.reportShard}); {@code reply} hears the answer. */
  void reportShard(String eventId, flashsale.shard.ShardDemand demand, SimShardCoordinator.Reply reply) {
    shardCoordinator.report(eventId, demand, reply);
  }

  /** This process's order books (loop-owned). */
  OrderRunner orders() {
    return orders;
  }

  boolean leading() {
    return loop.up() && runner.leading();
  }

  /** Leads, and the lease (not only this node's belief) says it may. */
  boolean holdsLease() {
    return leading() && knownLeader.get().equals(name);
  }

  /** The fencing epoch of the term under way (or the last one). */
  long epoch() {
    return runner.epoch();
  }

  @Override
  public String toString() {
    if (!loop.up()) return name + ":down";
    if (!runner.leading()) return name + ":standby";
    return name + ":leads" + (admitting ? "" : "(recovering)") + runner.query(s -> events.keySet().stream()
        .map(e -> s.eventStatus(e).map(Object::toString).orElse(e + " not sequenced")).toList());
  }

  Optional<EventStatus> status(String eventId) {
    return leading() ? runner.query(s -> s.eventStatus(eventId)) : Optional.empty();
  }

  // ---- leadership, as LeaderRole does it ----

  /**
   * Won the lease for {@code epoch}: a fresh sequencer, then every live event claimed under the
   * epoch and loaded from its head (each store call takes {@code storeMicros}), then streams are admitted.
   */
  void elected(long epoch, long storeMicros) {
    refuseAll();
    events.clear();
    Sequencer fresh = new Sequencer(config);
    fresh.holdStreamsBack(); // nobody times out while streams are refused
    runner.lead(fresh, epoch);
    orders.lead(epoch);
    List<String> nodes = store.regionNodes(Partition.ONLY); // every named node an earlier leader welcomed is waited for
    runner.apply(q -> q.regionNodesRecorded(nodes, runner.nowMicros()));
    recoveringEpoch = epoch;
    List<EventSpec> live = store.listLiveEvents();
    recover(epoch, new ArrayList<>(live), storeMicros);
  }

  private void recover(long epoch, List<EventSpec> left, long storeMicros) {
    loop.schedule(() -> {
      if (recoveringEpoch != epoch || !runner.leading()) return; // deposed meanwhile
      if (left.isEmpty()) {
        runner.apply(q -> q.streamsAdmitted(runner.nowMicros())); // silence counts from here
        admitting = true;
        return;
      }
      EventSpec spec = left.removeFirst();
      if (orderOracle.hasWindow(spec.eventId()) && orderStore.loadOrders(spec.eventId()).lastSequence() > 0) {
        oracle.count("order books taken over mid-payment");
      }
      register(spec); // claims it first: no earlier leader adds to what we load
      recover(epoch, left, storeMicros);
    }, Math.max(1, storeMicros / 1_000));
  }

  /** The lease is lost (and noticed): stand by, end every stream with NOT_LEADER. */
  void deposed() {
    recoveringEpoch = 0;
    runner.standBy();
    orders.standBy();
    refuseAll();
    events.clear(); // the next term loads them again
  }

  /**
   * A new event (the admin's create), one recovered, or one looked up: claimed under this term's
   * epoch, then sequenced from its head and announced.
   */
  void register(EventSpec spec) {
    if (!runner.leading() || events.containsKey(spec.eventId())) return;
    if (runner.epoch() != ArbiterStore.UNFENCED) {
      try {
        store.fenceEvent(spec.eventId(), runner.epoch()); // before reading, as EventCatalog.register
      } catch (StoreFencedException later) {
        oracle.count("events claimed by a later leader first");
        deposed();
        return;
      }
    }
    var head = store.loadHead(spec.eventId());
    if (runner.query(s -> s.finished(head, runner.nowMicros()))) { // its orders run out first, as EventAdminGrpcService does
      orders.eventAdded(spec);
      orderOracle.saleEnded(spec.eventId());
      orders.saleEnded(spec.eventId(), () -> store.finishEvent(spec.eventId()));
      return;
    }
    events.put(spec.eventId(), spec);
    runner.apply(s -> s.eventAddedWithWaitlist(head, waitlistBound(spec), runner.nowMicros()));
    orders.eventAdded(spec);
    for (Session s : List.copyOf(sessions.values())) s.stream().down(new Down.Announcement(spec));
  }

  /** The event's stored waitlist bound (0 without payment terms), read with its head as EventCatalog.register does. */
  private long waitlistBound(EventSpec spec) {
    return orderStore.findTerms(spec.eventId()).map(flashsale.orders.OrderTerms::waitlistBound).orElse(0L);
  }

  /**
   * A region's event look-up, as {@code EventCatalog.findOrLoad} answers it: from what
   * this node sequences, else from the store, registering the event here. Behind the gate, as
   * every call: a node that is not admitting (a standby, or recovering) answers nothing.
   */
  /** A region's GetDecision, as {@code SequencerGrpcService.getDecision} answers it from the store; behind the gate. */
  Optional<flashsale.sale.Decision> decision(String eventId, String requestId) {
    return admitting() ? store.findDecision(eventId, requestId) : Optional.empty();
  }

  Optional<EventSpec> lookup(String eventId) {
    if (!admitting()) return Optional.empty();
    EventSpec known = events.get(eventId);
    if (known != null) return Optional.of(known);
    Optional<EventSpec> stored = store.findEvent(eventId);
    stored.ifPresent(spec -> loop.execute(() -> register(spec)));
    return stored;
  }

  /**
   * The gate ({@code LeaderGate}): open while this node leads with its term's events loaded and,
   * by its own clock, holds the lease. A leader the lease has moved from shuts its gate at once,
   * though it may go on deciding on its open streams until it notices or a write is fenced.
   */
  boolean admitting() {
    return leading() && admitting && knownLeader.get().equals(name);
  }

  private void refuseAll() {
    admitting = false;
    for (Session s : List.copyOf(sessions.values())) s.stream().endFromArbiter(notLeader());
    sessions.clear();
  }

  private End notLeader() {
    String leader = knownLeader.get();
    return new End("NOT_LEADER: this arbiter does not lead", true, leader.equals(name) ? "" : leader);
  }

  // ---- a region's stream, as RegionStream and RegionSessions do it ----

  void received(SimNet.Stream stream, Out message) {
    if (message instanceof Out.Hello hello) {
      hello(stream, flashsale.sale.StreamSource.key(hello.region(), hello.nodeId()), hello.siblingNodeIds());
      return;
    }
    Session s = stream.session;
    if (s == null || sessions.get(s.region()) != s) return; // a replaced stream's tail
    String region = s.region();
    long now = runner.nowMicros();
    switch (message) {
      case Out.Upstream(Up.Tickets t) -> { // the node's tickets carry the node its hello named, as RegionStream does
        String node = flashsale.sale.StreamSource.nodeOf(region);
        List<flashsale.sale.Ticket> tickets = t.tickets().stream().map(x -> x.withNode(node)).toList();
        runner.apply(q -> q.ticketsReceived(region, tickets, now));
      }
      case Out.Upstream(Up.Watermark w) -> runner.apply(q -> q.watermarkReceived(region, w.watermarkMicros(), now));
      case Out.Probe p -> stream.down(new Down.ClockReply(p.originMicros(), now, runner.nowMicros()));
      case Out.Report r -> runner.apply(q -> q.clockReported(region, r.offsetMicros(), r.roundTripMicros(), now));
      case Out.Hello h -> throw new IllegalStateException("second hello");
    }
  }

  /** @param region the stream's source key: its region, or region/node */
  private void hello(SimNet.Stream stream, String region, List<String> siblings) {
    if (!stream.region.name.equals(region)) throw new AssertionError("a region named another in its hello");
    if (!admitting()) {
      stream.endFromArbiter(notLeader());
      return;
    }
    Session session = new Session(region, stream);
    stream.session = session;
    Session old = sessions.put(region, session);
    if (old != null) old.stream().endFromArbiter(End.failed("replaced by a newer stream of the same region"));
    for (EventSpec spec : events.values()) stream.down(new Down.Announcement(spec));
    String regionName = flashsale.sale.StreamSource.regionOf(region);
    runner.apply(q -> q.regionNodesExpected(regionName, siblings, runner.nowMicros()));
    runner.apply(q -> q.regionConnected(region, runner.nowMicros())); // welcomes it, at once or once recorded
    List<String> members = sessions.keySet().stream().filter(k -> flashsale.sale.StreamSource.regionOf(k).equals(regionName))
        .map(flashsale.sale.StreamSource::nodeOf).filter(n -> !n.isEmpty()).toList();
    for (String k : List.copyOf(sessions.keySet())) {
      if (flashsale.sale.StreamSource.regionOf(k).equals(regionName) && !members.isEmpty()) send(k, new Down.Members(members));
    }
    for (EventSpec spec : events.values()) {
      runner.query(q -> q.eventStatus(spec.eventId())).flatMap(st -> st.soldOutMicros().isPresent()
          ? Optional.of(st.soldOutMicros().getAsLong()) : Optional.empty())
          .ifPresent(c -> stream.down(new Down.SoldOut(spec.eventId(), c)));
    }
  }

  /** The region's end of a stream ended: only its current stream disconnects it. */
  void ended(SimNet.Stream stream) {
    Session s = stream.session;
    if (s != null && sessions.remove(s.region(), s)) {
      runner.apply(q -> q.regionDisconnected(s.region(), runner.nowMicros()));
    }
  }

  /** As {@code RegionSessions.welcome}: a welcome that waited for the node's record is not sent once the lease moved. */
  private void welcome(String region, long stampFloorMicros) {
    Session s = sessions.get(region);
    if (s == null) return;
    if (!admitting()) {
      sessions.remove(region);
      s.stream().endFromArbiter(notLeader());
      return;
    }
    s.stream().down(new Down.Welcome(name, config.maxClockSkewMicros(), Math.max(0, stampFloorMicros),
        config.maxTicketAgeMicros()));
  }

  private void send(String region, Down message) {
    Session s = sessions.get(region);
    if (s != null) s.stream().down(message); // else the region resends undecided tickets when it reconnects
  }

  /** The sequencer's effects as messages on the region streams, as {@code SequencerLoop}'s outlet does. */
  private final class Outlet implements SequencerRunner.Outlet {
    @Override
    public void carryOut(Effect effect) {
      oracle.effect(SimArbiter.this, effect);
      switch (effect) {
        case Effect.PersistBatch p -> throw new IllegalStateException("the runner persists batches itself");
        case Effect.SendDecisions d -> send(d.region(), new Down.Decisions(d.decisions()));
        case Effect.BroadcastSoldOut b -> {
          for (String region : List.copyOf(sessions.keySet())) send(region, new Down.SoldOut(b.eventId(), b.soldOutMicros()));
        }
        case Effect.RejectTicket r ->
            send(r.region(), new Down.Rejected(r.ticket().eventId(), r.ticket().requestId(), r.reason(), r.message()));
        case Effect.SendClockVerdict v -> send(v.region(), new Down.Verdict(v.flagged(), v.message()));
        case Effect.CutOffRegion c -> {
          Session s = sessions.remove(c.region());
          if (s != null) s.stream().endFromArbiter(End.failed("PROTOCOL_VIOLATION: " + c.reason()));
        }
        case Effect.RegionExclusion x -> {}
        case Effect.RegionNodeForgotten f -> {}
        case Effect.EventFinished f -> { // it leaves the live index once its orders settle, as SequencerLoop does it
          orderOracle.saleEnded(f.eventId());
          orders.saleEnded(f.eventId(), () -> {
            events.remove(f.eventId());
            store.finishEvent(f.eventId());
          });
        }
        case Effect.PersistAuctionClose c -> throw new IllegalStateException("the runner persists auction closes itself: " + c);
        case Effect.AnnounceAuctionClose a -> {} // checked by the oracle: told only once stored
        case Effect.AuctionStandingChanged a -> {} // for watchers; the simulated regions have none
        case Effect.WelcomeRegionNode w -> welcome(w.source(), w.stampFloorMicros());
        case Effect.RecordRegionNode r -> throw new IllegalStateException("the runner records region nodes itself: " + r);
        case Effect.ForgetRegionNode f -> throw new IllegalStateException("the runner forgets region nodes itself: " + f);
      }
    }

    @Override
    public void persisted(flashsale.sale.DecisionBatch batch, long elapsedNanos, long nowMicros) {
      orders.decided(batch.eventId(), batch.decisions()); // before they are told
    }

    @Override
    public void fenced(long epoch) {
      oracle.count("terms ended by a fenced write");
      deposed();
    }

    @Override
    public void persistFailed() {
      oracle.count("persist retries");
    }

    @Override
    public void refused() {
      oracle.count("batches refused and decided again");
    }

    @Override
    public boolean holdsLease() {
      // By what it knows, as a leader reading its own clock: a paused one learns it lost the lease late.
      return leading();
    }
  }
}
