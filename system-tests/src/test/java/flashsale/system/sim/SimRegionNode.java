package flashsale.system.sim;

import flashsale.region.core.ArbiterStream;
import flashsale.region.core.BuyRequest;
import flashsale.region.core.Completion;
import flashsale.region.core.Failure;
import flashsale.region.core.Admission;
import flashsale.region.core.PurchaseRoute;
import flashsale.region.core.RegionCore;
import flashsale.sale.TicketRefusal;
import flashsale.region.core.StampUncertainty;
import flashsale.sale.EventSpec;
import flashsale.sale.ErrorReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;

/**
 * One region node on the simulated network: the production {@link RegionCore} and
 * {@link ArbiterStream} on a {@link NodeLoop}, with what the gRPC adapters add written again for
 * domain messages: open Purchase calls waiting for their decision ({@code CallRegistry}), the
 * purchase path ({@code FlashSaleServiceImpl.admit}) and the arbiter's messages applied to the
 * core ({@code ArbiterInbound}); SHARDED purchases go to its {@link SimShardSeller}, as {@code
 * ModeSellers} takes them. A crash loses the core and fails every open call with UNAVAILABLE.
 */
final class SimRegionNode {
  /** Every node sells SHARDED events from its region's shard store. */
  private static final java.util.Set<flashsale.sale.SaleMode> SOLD_HERE = java.util.Set.of(flashsale.sale.SaleMode.SHARDED);

  /** A buyer's open call, answered once. */
  interface Call extends Consumer<Admission.Settled> {}

  /** The node's stream source key ({@link flashsale.sale.StreamSource}): the region, or region/node. */
  final String name;
  /** The region it serves; a region may run several nodes. */
  final String region;
  final NodeLoop loop;
  final SimClock clock;
  private final SimNet net;
  private final List<SimArbiter> arbiters;
  private final ArbiterStream.Settings settings;
  private final Random random;
  private final SimShards shards;
  private RegionCore core;
  private ArbiterStream<Down> link;
  private SimShardSeller seller;
  private final Map<String, List<Call>> waiting = new HashMap<>();
  private int incarnation;

  SimRegionNode(String name, SimScheduler scheduler, SimClock clock, SimNet net, List<SimArbiter> arbiters,
      ArbiterStream.Settings settings, Random random, SimShards shards) {
    this.name = name;
    this.shards = shards;
    this.region = flashsale.sale.StreamSource.regionOf(name);
    this.clock = clock;
    this.loop = new NodeLoop(scheduler, clock);
    this.net = net;
    this.arbiters = arbiters;
    this.settings = settings;
    this.random = random;
  }

  /** Starts (or restarts) the process: a fresh core and link, connecting to the first arbiter. */
  void start() {
    incarnation++;
    core = new RegionCore(region, 10_000, 10_000, clock, StampUncertainty.defaults());
    link = new ArbiterStream<>(region, name + "-" + incarnation, loop, core, new Transport(), settings, this::inbound,
        done -> done.forEach(this::complete), new Random(random.nextLong()));
    seller = new SimShardSeller(this, shards, net);
    String node = flashsale.sale.StreamSource.nodeOf(name);
    loop.execute(() -> link.start(node));
  }

  /** The process dies: open calls fail (their clients retry), pending tickets are forgotten here. */
  void crash() {
    loop.crash();
    net.breakStreams(name, "region " + name + " died");
    Failure gone = Failure.of(ErrorReason.SHUTTING_DOWN, "region " + name + " died");
    waiting.values().forEach(calls -> calls.forEach(c -> c.accept(new Admission.Failed(gone))));
    waiting.clear();
    seller.crashed(gone);
  }

  void restart() {
    loop.restart();
    start();
  }

  boolean up() {
    return loop.up();
  }

  int pendingCount() {
    return core.pendingCount();
  }

  boolean connected() {
    return link.connected();
  }

  /** The arbiter of the link's current channel: where shard reports go, as {@code ShardSeller}'s do. */
  SimArbiter currentArbiter() {
    return arbiters.get(link.channelIndex());
  }

  String describeShards() {
    return up() ? seller.describe() : "";
  }

  /** SHARDED purchases held or at the store, not answered yet. */
  int shardOpenCalls() {
    return up() ? seller.openCalls() : 0;
  }

  /** A Purchase call arrives; {@code call} gets the answer (at once, or when the decision comes). */
  void purchase(BuyRequest buy, Call call) {
    if (!loop.up()) {
      call.accept(new Admission.Failed(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "region " + name + " is down")));
      return;
    }
    long arrivalMicros = core.arrivalMicros(); // read off the socket, before the loop takes it up
    loop.execute(() -> {
      if (!core.knowsEvent(buy.eventId())) {
        // ArbiterQueries.lookupEvent, to the arbiter of the link's current channel.
        arbiters.get(link.channelIndex()).lookup(buy.eventId()).ifPresent(core::eventAnnounced);
      }
      switch (core.route(buy, arrivalMicros, SOLD_HERE, "")) { // as FlashSaleServiceImpl.admit routes it
        case PurchaseRoute.Refused r -> call.accept(new Admission.Failed(r.failure()));
        // The simulated regions run without buyer limits (RegionCore's default): nothing is limited.
        case PurchaseRoute.Limited l -> throw new AssertionError("limited without limits: " + l.failure());
        case PurchaseRoute.ToSeller s -> {
          Optional<Failure> invalid = core.validate(buy);
          if (invalid.isPresent()) call.accept(new Admission.Failed(invalid.get()));
          else seller.purchase(s.spec(), buy, s.stampMicros(), call);
        }
        case PurchaseRoute.ToSequencer q -> sequence(buy, arrivalMicros, call);
      }
    });
  }

  private void sequence(BuyRequest buy, long arrivalMicros, Call call) {
    switch (core.purchase(buy, arrivalMicros)) {
      case Admission.Ticketed t -> {
        waiting.computeIfAbsent(buy.requestId(), k -> new ArrayList<>()).add(call);
        link.send(t.ticket());
      }
      case Admission.Joined j -> waiting.computeIfAbsent(buy.requestId(), k -> new ArrayList<>()).add(call);
      case Admission.Unremembered u -> { // FlashSaleServiceImpl.askArbiter
        Optional<flashsale.sale.Decision> decided = arbiters.get(link.channelIndex()).decision(buy.eventId(), buy.requestId());
        Admission.Settled answer = decided.map(d -> core.decidedElsewhere(buy, d)).orElse(new Admission.Failed(u.otherwise()));
        if (answer instanceof Admission.Decided) shards.oracle.count("retries after the end answered with the arbiter's decision");
        call.accept(answer);
      }
      case Admission.Settled s -> call.accept(s);
    }
  }

  private void complete(Completion done) {
    List<Call> calls = waiting.remove(done.requestId());
    if (calls != null) calls.forEach(c -> c.accept(done.result()));
  }

  /** The arbiter's sale messages, as {@code ArbiterInbound} applies them. */
  private void inbound(Down message) {
    switch (message) {
      case Down.Decisions d -> core.decisionsArrived(d.decisions()).forEach(this::complete);
      case Down.Announcement a -> core.eventAnnounced(a.spec());
      case Down.SoldOut s -> core.soldOut(s.eventId(), s.soldOutMicros());
      case Down.Rejected r -> {
        TicketRefusal reason = TicketRefusal.valueOf(r.reason().name());
        Optional<flashsale.sale.Decision> decided = core.refusedAfterTheEventWasLetGo(r.eventId(), r.requestId(), reason)
            ? arbiters.get(link.channelIndex()).decision(r.eventId(), r.requestId()) : Optional.empty(); // ArbiterInbound.rejection
        if (decided.isPresent()) {
          shards.oracle.count("tickets refused after their event was let go, answered with the stored decision");
          core.decisionsArrived(List.of(decided.get())).forEach(this::complete);
        } else {
          core.rejected(r.eventId(), r.requestId(), reason, r.message()).ifPresent(this::complete);
        }
      }
      case Down.Verdict v -> core.clockVerdict(v.flagged(), v.message());
      case Down.Welcome w -> throw new IllegalStateException("the link handles welcomes");
      case Down.ClockReply c -> throw new IllegalStateException("the link handles clock replies");
      case Down.Members m -> throw new IllegalStateException("the link handles region members");
    }
  }

  Optional<EventSpec> knownEvent(String eventId) {
    return core.eventSpec(eventId);
  }

  /** Streams to the arbiters, numbered as the region's arbiter list. */
  private final class Transport implements ArbiterStream.Transport<Down> {
    @Override
    public int channels() {
      return arbiters.size();
    }

    @Override
    public int indexOf(String arbiterId) {
      for (int i = 0; i < arbiters.size(); i++) {
        if (arbiters.get(i).name.equals(arbiterId)) return i;
      }
      throw new IllegalArgumentException("no arbiter " + arbiterId);
    }

    @Override
    public ArbiterStream.Stream open(int channelIndex, ArbiterStream<Down>.Inbound inbound) {
      return net.open(SimRegionNode.this, arbiters.get(channelIndex), inbound);
    }
  }
}
