package flashsale.system.sim;

import flashsale.arbiter.core.SequencerConfig;
import flashsale.orders.OrderTerms;
import flashsale.region.core.Answer;
import flashsale.region.core.ArbiterStream;
import flashsale.region.core.BuyRequest;
import flashsale.region.core.Admission;
import flashsale.sale.Decision;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.store.memory.InMemoryOrderStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One seeded run of the whole system on its production cores: region nodes ({@code RegionCore},
 * {@code ArbiterStream}), arbiter nodes ({@code Sequencer}, {@code SequencerRunner}) and the
 * in-memory store, on a simulated network, clocks, store connection and lease. Faults happen
 * until {@link SimWorkload#FAULTS_END_MICROS}; then the network heals, crashed nodes come back and
 * one leader stays, and every purchase must be answered. Events with a payment window run their
 * production order books ({@code OrderRunner}, {@code OrderBook}) on the arbiters' loops over the
 * in-memory order store, while {@link SimPayments} pays, cancels and lets deadlines pass; the run
 * goes on until every win is settled. SHARDED events sell from the regions' shard stores through the
 * production hold queues and shard balancer ({@link SimShards}). Replays exactly from its seed.
 */
final class WholeSystemSimulation {
  /**
   * Production's sequencer, with small batches (more of them to interleave), a region timeout a
   * partition outlasts, and a finish grace of 500 ms (past the faults), so sales that end within
   * the run are let go in it.
   */
  static final SequencerConfig CONFIG = new SequencerConfig(8, 5_000, 1_000_000, 60_000,
      SequencerConfig.DEFAULT_CACHED_DECISIONS, 500_000, 1_000, SequencerConfig.DEFAULT_MAX_TICKET_AGE_MICROS);
  static final ArbiterStream.Settings LINK = new ArbiterStream.Settings(2, 20, 5, 80, 60);
  private static final long GIVE_UP_AFTER_HEAL_MICROS = 3_000_000;

  final long seed;
  final Random random;
  final SimScheduler scheduler = new SimScheduler();
  final SimOracle oracle = new SimOracle(CONFIG.maxErrorBoundMicros(), CONFIG.finishGraceMicros());
  final SimStore store;
  final SimNet net;
  final List<SimArbiter> arbiters = new ArrayList<>();
  final List<SimRegionNode> regions = new ArrayList<>();
  final List<EventSpec> events = new ArrayList<>();
  /** The payment terms of the events that have them. */
  final Map<String, OrderTerms> orderTerms = new HashMap<>();
  final SimOrderOracle orderOracle = new SimOrderOracle(oracle::count);
  final SimOrderStore orderStore;
  final SimPayments payments;
  final SimShards shards;
  /** Each request still waiting for its decision, with the last thing that happened to it. */
  private final Map<String, String> undecided = new HashMap<>();
  private final Set<String> answeredBefore = new HashSet<>();
  /** Purchases and event creations planned and not yet under way: the run is not over before them. */
  private int toCome;
  private long epoch;
  /** Who the lease says leads: what standbys name in NOT_LEADER. */
  String leaseHolder = "";
  long steps;
  long trace = 17;

  WholeSystemSimulation(long seed) {
    this.seed = seed;
    // Mixed first: java.util.Random's first draws barely differ between neighbouring small seeds.
    this.random = new Random(new SplittableRandom(seed).nextLong());
    this.store = new SimStore(scheduler, random, oracle, random.nextInt(4) == 0 ? 30 : 0);
    this.net = new SimNet(scheduler, random);
    this.shards = new SimShards(seed, scheduler, oracle::count);
    oracle.store(store);
    // After the win: a stream of its own, so the sale's draws stay what they were.
    Random paying = new Random(new SplittableRandom(seed ^ 0x0bde_25a1L).nextLong());
    this.payments = new SimPayments(this, paying);
    this.orderStore = new SimOrderStore(new InMemoryOrderStore(store.memory), scheduler, paying, orderOracle, oracle::count,
        payments::stored);
    orderOracle.store(orderStore);
    oracle.onStored = orderOracle::decided;
  }

  /** Runs until every purchase has its decision and every win is settled; throws AssertionError on any broken rule. */
  void run() {
    new SimWorkload(this).plan();
    while (toCome > 0 || !undecided.isEmpty() || scheduler.nowMicros() < SimWorkload.FAULTS_END_MICROS
        || oracle.auctionOpen() || payments.busy() || !orderOracle.settled() || shardOpenCalls() > 0) {
      if (scheduler.nowMicros() > SimWorkload.FAULTS_END_MICROS + GIVE_UP_AFTER_HEAL_MICROS || !scheduler.step()) {
        throw new AssertionError("pending purchases (or an auction's close, or payments) unanswered "
            + GIVE_UP_AFTER_HEAL_MICROS / 1000 + " ms after the network healed: "
            + new TreeMap<>(undecided).entrySet().stream().limit(10).toList() + " " + state() + " orders: "
            + orderOracle.unsettled() + (payments.busy() ? " with buyers' calls open" : "") + " sharded calls open: "
            + shardOpenCalls());
      }
      steps++;
      oracle.stepDone(arbiters);
    }
    checkEnd();
  }

  private int shardOpenCalls() {
    return regions.stream().mapToInt(SimRegionNode::shardOpenCalls).sum();
  }

  private String state() {
    StringBuilder s = new StringBuilder("lease=" + leaseHolder + " epoch=" + epoch);
    for (SimArbiter a : arbiters) s.append(' ').append(a);
    for (SimRegionNode r : regions) {
      s.append(' ').append(r.name).append(r.up() ? r.connected() ? ":linked" : ":unlinked" : ":down")
          .append(" pending=").append(r.up() ? r.pendingCount() : -1).append(r.describeShards());
    }
    for (EventSpec spec : events) {
      if (shards.sharded(spec)) s.append(' ').append(spec.eventId()).append(':').append(shards.oracle.account(spec));
    }
    return s.toString();
  }

  // ---- the admin and the buyers ----

  /** Runs {@code action} at {@code atMicros}; the run does not end before it has. */
  void planned(long atMicros, Runnable action) {
    toCome++;
    scheduler.at(atMicros, () -> {
      toCome--;
      action.run();
    });
  }

  /**
   * The admin creates an event through the lease holder once it has recovered (the gate of every
   * other node refuses); until then it tries again shortly.
   */
  void createEvent(EventSpec spec, Runnable then) {
    SimArbiter leader = arbiters.stream().filter(a -> a.name.equals(leaseHolder) && a.admitting()).findFirst().orElse(null);
    if (leader == null) {
      planned(scheduler.nowMicros() + 5_000, () -> createEvent(spec, then));
      return;
    }
    OrderTerms terms = orderTerms.get(spec.eventId());
    // As CreateEvent does: a SHARDED event is stored, then its shards opened, before any region hears of it.
    EventSpec created = spec.withPoolsOpenedAtCreation(shards.sharded(spec));
    if (terms == null) store.createEvent("create-" + created.eventId(), created);
    else orderStore.createEventWithTerms("create-" + created.eventId(), created, terms); // one write, as CreateEvent does
    if (created.poolsOpenedAtCreation()) {
      for (String region : created.regions()) shards.stores.get(region).memory.openShard(created, region).join();
      store.markPoolsOpened(created.eventId());
    }
    oracle.created(created);
    if (shards.sharded(created)) shards.oracle.created(created);
    if (terms != null) {
      orderOracle.created(created, terms, oracle.crowdOnlyEvents.contains(created.eventId()));
      oracle.waitlist(created.eventId(), terms.waitlistBound());
    }
    leader.loop.execute(() -> leader.register(created));
    then.run();
  }

  /**
   * A buyer's purchase at {@code region}; a failure it may retry (a dead region, a bad clock) is
   * retried with the same request id at a random region selling the event, until decided.
   */
  void buy(SimRegionNode region, EventSpec spec, String requestId, String userId, int quantity, List<String> slots) {
    send(region, spec, new BuyRequest(spec.eventId(), userId, requestId, quantity, slots));
  }

  /** A bidder's bid at {@code region}, retried as a purchase is. */
  void bid(SimRegionNode region, EventSpec spec, String requestId, String userId, long amountMinor) {
    send(region, spec, BuyRequest.bid(spec.eventId(), userId, requestId, amountMinor,
        spec.auction().orElseThrow().currencyCode()));
  }

  private void send(SimRegionNode region, EventSpec spec, BuyRequest request) {
    String requestId = request.requestId();
    String key = spec.eventId() + "/" + requestId;
    if (undecided.put(key, "sent to " + region.name) != null || answeredBefore.contains(key)) {
      oracle.sentAgain(spec.eventId(), requestId);
    }
    boolean[] heard = {false};
    long sentMicros = scheduler.nowMicros();
    region.purchase(request, result -> {
      if (heard[0]) throw new AssertionError("call of " + requestId + " at " + region.name + " answered twice: " + result);
      heard[0] = true;
      trace = trace * 31 + result.hashCode();
      boolean decided = shards.sharded(spec) ? shards.oracle.answered(region, spec, request, result)
          : oracle.answered(region.name, spec.eventId(), requestId, result, sentMicros, scheduler.nowMicros());
      if (decided) {
        undecided.remove(key);
        answeredBefore.add(key);
        if (result instanceof Admission.Decided(Answer.Ranked(Decision d))) payments.decided(spec, d);
        return;
      }
      undecided.put(key, "refused at " + region.name + ": " + ((Admission.Failed) result).failure().reason());
      String home = ((Admission.Failed) result).failure().metadata().get("home_region");
      SimRegionNode next = region(home != null ? home : spec.regions().get(random.nextInt(spec.regions().size())), random);
      scheduler.after(2_000 + random.nextLong(10_000), () -> send(next, spec, request));
    });
  }

  /** A node of region {@code name}: its only one, or one drawn from {@code random} (a load balancer's pick). */
  SimRegionNode region(String name, Random random) {
    List<SimRegionNode> nodes = nodesOf(name);
    if (nodes.isEmpty()) throw new IllegalArgumentException("no node of region " + name);
    return nodes.size() == 1 ? nodes.getFirst() : nodes.get(random.nextInt(nodes.size()));
  }

  List<SimRegionNode> nodesOf(String region) {
    return regions.stream().filter(r -> r.region.equals(region)).toList();
  }

  // ---- the lease ----

  /**
   * The lease moves to {@code next} under a new epoch. {@code old} (if any) learns it lost the
   * lease only after {@code oldLearnsMicros} (a paused leader: until then it decides on, and its
   * writes are fenced once {@code next} claims the events), or never if it crashed.
   */
  void elect(SimArbiter next, SimArbiter old, long oldLearnsMicros) {
    long term = ++epoch;
    leaseHolder = next.name;
    oracle.count("leader changes");
    if (old != null && old.loop.up()) {
      old.loop.schedule(() -> {
        if (old.leading() && !leaseHolder.equals(old.name)) old.deposed();
      }, oldLearnsMicros / 1_000);
    }
    next.loop.execute(() -> next.elected(term, 200 + random.nextLong(2_000)));
  }

  SimArbiter leader() {
    return arbiters.stream().filter(a -> a.name.equals(leaseHolder)).findFirst().orElseThrow();
  }

  // ---- the end ----

  /**
   * The store's ledger is whole, its outbox holds the winners, and every event a good region sells
   * sold out; every SHARDED event sold out from its shards.
   */
  private void checkEnd() {
    orderOracle.checkEnd();
    shards.oracle.checkEnd();
    for (EventSpec spec : events) {
      if (shards.sharded(spec)) continue; // the arbiter store holds none of its decisions
      EventLedger ledger = store.loadLedger(spec.eventId()); // checks ranks and counters against the head
      Set<String> ids = new HashSet<>();
      for (Decision d : ledger.decisions()) {
        if (!ids.add(d.requestId())) throw new AssertionError("decided twice: " + d.requestId());
      }
      if (spec.auction().isPresent()) { // its winners go out at the close; no stock is taken before
        List<String> winners = oracle.auctionResult(spec.eventId()).winners().stream().map(t -> t.requestId()).toList();
        if (!store.readOutbox(spec.eventId()).stream().map(Decision::requestId).toList().equals(winners)) {
          throw new AssertionError("outbox of " + spec.eventId() + " is not its winners " + winners);
        }
        continue;
      }
      List<Decision> winners = ledger.decisions().stream().filter(Decision::won).toList();
      if (!store.readOutbox(spec.eventId()).equals(winners)) throw new AssertionError("outbox is not the winners");
      // Every region gets stock-many one-unit buyers (unless the event is a crowd's alone, whose
      // buyers of several may leave units nobody fits); a region whose clock went bad may have them
      // all refused (CLOCK_SKEW while it is flagged), so one good seller is needed.
      boolean goodSeller = spec.regions().stream()
          .anyMatch(r -> nodesOf(r).stream().anyMatch(n -> !oracle.badClockRegions.contains(n.name)));
      if (goodSeller && ledger.remainingStock() != 0 && !oracle.crowdOnlyEvents.contains(spec.eventId())) {
        throw new AssertionError("undersold " + spec.eventId() + ": " + ledger.remainingStock() + " of " + spec.stock()
            + " left with demand above stock");
      }
    }
  }
}
