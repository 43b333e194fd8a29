package flashsale.system.sim;

import flashsale.orders.OrderTerms;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Plans one run from its seed: 1–3 arbiters and 2–4 regions with their own clock offsets and
 * drifts, at their own distances; one or two events (the second created later, sold in a subset
 * of regions) with demand well above stock; and faults until {@link #FAULTS_END_MICROS}: broken
 * streams, partitions, region crashes, leader changes (clean, paused past the lease, or a crash),
 * lost store requests and replies, and at most one region clock stepped off and back.
 *
 * <p>Each region of each event gets {@code stock} one-unit purchases from users who buy nothing
 * else. They can only lose to an empty stock, so every event must sell out: the no-undersell check.
 *
 * <p>About a third of the events are reservations: the stock split into 1–4 slots, the crowd's
 * requests naming some of them in their own order, the lone buyers every slot (so they too lose
 * only to a full event). Whether an event is one is drawn from a stream of its own, so a seed's
 * flash sales plan exactly as they did before reservations existed.
 *
 * <p>About a quarter of the events are auctions instead (drawn from a third stream): their units
 * are the stock, the close falls inside the burst of bids (so some come after it), with a soft
 * close half the time; every region's bidders bid random amounts around the reserve.
 *
 * <p>Two in three of the plain flash sales get a payment window and a waitlist (from a fourth
 * stream): {@link SimPayments} plays their buyers after the win.
 *
 * <p>About a quarter of the events are SHARDED flash sales instead (drawn from {@link SimShards}'
 * stream), their stock split over the regions' shards at random, their buyers at their home regions.
 */
final class SimWorkload {
  static final long FAULTS_END_MICROS = 150_000;
  private static final long SALE_MICROS = 40_000;

  private final WholeSystemSimulation sim;
  private final Random random;
  private final Random kinds;
  private final Random auctions;
  private final Random payments;
  private int requestIds;

  SimWorkload(WholeSystemSimulation sim) {
    this.sim = sim;
    this.random = sim.random;
    this.kinds = new Random(new java.util.SplittableRandom(sim.seed ^ 0x5e5e_7a7eL).nextLong());
    this.auctions = new Random(new java.util.SplittableRandom(sim.seed ^ 0xa0c7_10e5L).nextLong());
    this.payments = new Random(new java.util.SplittableRandom(sim.seed ^ 0x9a7_3e47L).nextLong());
  }

  /**
   * Whether some regions run two nodes (on by default; {@code -Dsim.regionNodes=false} turns it off,
   * and each seed then plans exactly what it planned before nodes existed).
   */
  static final boolean REGION_NODES = Boolean.parseBoolean(System.getProperty("sim.regionNodes", "true"));

  void plan() {
    int arbiterCount = 1 + random.nextInt(3);
    for (int i = 0; i < arbiterCount; i++) {
      SimClock clock = new SimClock(sim.scheduler, random.nextLong(-1_500, 1_501), random.nextLong(-50, 51));
      sim.arbiters.add(new SimArbiter("a" + i, sim.scheduler, clock, sim.store, WholeSystemSimulation.CONFIG,
          sim.oracle, sim.orderStore, sim.orderOracle, () -> sim.leaseHolder, sim.shards));
    }
    int regionCount = 2 + random.nextInt(3);
    for (int i = 0; i < regionCount; i++) {
      // A region in three runs on two nodes behind its load balancer, each its own clock, link and stream.
      int nodes = REGION_NODES && random.nextInt(3) == 0 ? 2 : 1;
      for (int n = 1; n <= nodes; n++) {
        String name = nodes == 1 ? "r" + i : flashsale.sale.StreamSource.key("r" + i, "n" + n);
        SimClock clock = new SimClock(sim.scheduler, random.nextLong(-1_500, 1_501), random.nextLong(-50, 51));
        sim.net.link(name, 50 + random.nextLong(15_000), random.nextLong(2_000));
        SimRegionNode node = new SimRegionNode(name, sim.scheduler, clock, sim.net, sim.arbiters,
            WholeSystemSimulation.LINK, random, sim.shards);
        sim.regions.add(node);
      }
    }
    List<String> names = sim.regions.stream().map(r -> r.region).distinct().toList();
    planEvent("e0", names, 0);
    sim.elect(sim.arbiters.getFirst(), null, 0);
    sim.regions.forEach(SimRegionNode::start);
    if (random.nextBoolean()) {
      List<String> subset = new ArrayList<>(names);
      Collections.shuffle(subset, random);
      planEvent("e1", subset.subList(0, 1 + random.nextInt(regionCount)), 1 + random.nextLong(20_000));
    }
    for (SimRegionNode region : sim.regions) planRegionFaults(region);
    if (arbiterCount > 1 && random.nextInt(10) < 4) {
      for (int i = 0; i <= random.nextInt(2); i++) sim.scheduler.at(random.nextLong(FAULTS_END_MICROS - 20_000), this::failover);
    }
    if (random.nextInt(5) == 0) planClockEpisode(sim.regions.get(random.nextInt(sim.regions.size())));
    sim.scheduler.at(FAULTS_END_MICROS, this::heal);
  }

  private void planEvent(String eventId, List<String> regionNames, long createMicros) {
    long stock = 1 + random.nextInt(20);
    int perUserLimit = 1 + random.nextInt(3);
    EventSpec planned = new EventSpec(eventId, "item", stock, SimClock.EPOCH_MICROS - 1_000_000, SimClock.EPOCH_MICROS
        + 3_600_000_000L, perUserLimit, List.copyOf(regionNames), SaleMode.GLOBAL_ORDER, random.nextLong(), Map.of(),
        kinds.nextInt(3) == 0 ? slots(stock) : Map.of());
    EventSpec drawn = auctions.nextInt(4) == 0 ? auction(planned, createMicros) : planned;
    EventSpec chosen = SimShards.ON && sim.shards.random.nextInt(4) == 0 ? sharded(planned) : drawn;
    if (payments.nextInt(3) != 0 && chosen.slots().isEmpty() && chosen.auction().isEmpty()
        && chosen.mode() == SaleMode.GLOBAL_ORDER) {
      sim.orderTerms.put(eventId, paymentTerms(stock));
      if (payments.nextInt(3) == 0) chosen = endingInTheRun(chosen, createMicros);
    }
    EventSpec spec = chosen;
    sim.events.add(spec);
    long seedForBuyers = random.nextLong();
    sim.planned(createMicros, () -> sim.createEvent(spec, () -> planPurchases(spec, new Random(seedForBuyers))));
  }

  /**
   * The sale ending after its buyers, within the run, and sold to a crowd of buyers of several units
   * alone: it may end with units nobody bought, which its waitlist gets then, beside units given back.
   */
  private EventSpec endingInTheRun(EventSpec planned, long createMicros) {
    sim.oracle.crowdOnlyEvents.add(planned.eventId());
    long endMicros = SimClock.EPOCH_MICROS + createMicros + 2_000 + SALE_MICROS + 30_000;
    return new EventSpec(planned.eventId(), planned.item(), planned.stock(), planned.startMicros(), endMicros,
        planned.perUserLimit(), planned.regions(), SaleMode.GLOBAL_ORDER, planned.tieBreakSeed(), Map.of(), Map.of());
  }

  /** The event as a SHARDED flash sale of its stock, split over its regions' shards at random. */
  private EventSpec sharded(EventSpec planned) {
    planned.regions().forEach(sim.shards::addRegion);
    return new EventSpec(planned.eventId(), planned.item(), planned.stock(), planned.startMicros(), planned.endMicros(),
        planned.perUserLimit(), planned.regions(), SaleMode.SHARDED, planned.tieBreakSeed(),
        sim.shards.split(planned.stock(), planned.regions()));
  }

  /**
   * A payment window of 8 to 48 ms (the burst, the faults and the leader changes happen inside the
   * first few), and a waitlist bound of the default twice the stock, none, or anything between.
   */
  private OrderTerms paymentTerms(long stock) {
    long windowMicros = 8_000 + payments.nextLong(40_000);
    long bound = switch (payments.nextInt(4)) {
      case 0 -> 0;
      case 1 -> 1 + payments.nextLong(2 * stock);
      default -> OrderTerms.defaultWaitlistBound(stock);
    };
    return new OrderTerms(windowMicros, bound);
  }

  /** The event as an auction of its stock, closing inside its burst of bids. */
  private EventSpec auction(EventSpec planned, long createMicros) {
    long windowMicros = auctions.nextBoolean() ? 0 : 1 + auctions.nextLong(5_000);
    var rules = new flashsale.sale.AuctionRules((int) planned.stock(), 100, 1 + auctions.nextInt(20), "EUR", windowMicros,
        windowMicros == 0 ? 0 : auctions.nextLong(20_000));
    long closeMicros = SimClock.EPOCH_MICROS + createMicros + 2_000 + SALE_MICROS / 2 + auctions.nextLong(SALE_MICROS);
    return EventSpec.auction(planned.eventId(), "painting", rules, planned.startMicros(), closeMicros, planned.regions(),
        planned.tieBreakSeed());
  }

  /** The stock split into 1 to 4 slots of at least one unit each. */
  private Map<String, Long> slots(long stock) {
    int count = 1 + kinds.nextInt((int) Math.min(4, stock));
    Map<String, Long> slots = new LinkedHashMap<>();
    long left = stock;
    for (int i = 0; i < count; i++) {
      long capacity = i == count - 1 ? left : 1 + kinds.nextLong(left - (count - 1 - i));
      slots.put("s" + i, capacity);
      left -= capacity;
    }
    return slots;
  }

  /** A request's acceptable slots, best first: every slot for a lone buyer, some for the crowd; none for a flash sale. */
  private static List<String> preferences(Random buyers, EventSpec spec, boolean all) {
    List<String> slots = new ArrayList<>(spec.slots().keySet());
    if (slots.isEmpty()) return List.of();
    Collections.shuffle(slots, buyers);
    return List.copyOf(all ? slots : slots.subList(0, 1 + buyers.nextInt(slots.size())));
  }

  /** The buyers of an event, from the moment it exists; their own random stream keeps the plan replayable. */
  private void planPurchases(EventSpec spec, Random buyers) {
    long opensMicros = sim.scheduler.nowMicros() + 2_000;
    if (spec.auction().isPresent()) {
      planBids(spec, buyers, opensMicros);
      return;
    }
    if (spec.mode() == SaleMode.SHARDED) {
      planShardedPurchases(spec, buyers, opensMicros);
      return;
    }
    int users = 2 + buyers.nextInt(10);
    boolean crowdOnly = sim.oracle.crowdOnlyEvents.contains(spec.eventId());
    int crowdMinQuantity = crowdOnly && spec.perUserLimit() > 1 ? 2 : 1;
    for (String name : spec.regions()) {
      for (int i = 0; i < spec.stock() && !crowdOnly; i++) {
        buyLater(buyers, sim.region(name, buyers), spec, "solo-" + requestIds, 1, preferences(buyers, spec, true), opensMicros);
      }
      int crowd = buyers.nextInt((int) (2 * spec.stock()) + 5);
      for (int i = 0; i < crowd; i++) {
        Purchase p = buyLater(buyers, sim.region(name, buyers), spec,
            crowdOnly ? "crowd-" + buyers.nextInt(4 * users) : "user-" + buyers.nextInt(users),
            crowdMinQuantity + buyers.nextInt(spec.perUserLimit() - crowdMinQuantity + 1), preferences(buyers, spec, false),
            opensMicros);
        if (buyers.nextInt(20) == 0) { // the same request again, through another region
          SimRegionNode other = sim.region(spec.regions().get(buyers.nextInt(spec.regions().size())), buyers);
          sim.planned(opensMicros + buyers.nextLong(SALE_MICROS + 20_000), () -> {
            sim.oracle.count("purchases sent through two regions");
            sim.buy(other, spec, p.requestId(), p.userId(), p.quantity(), p.slots());
          });
        }
      }
    }
  }

  /**
   * A SHARDED event's buyers: per region, {@code stock} lone buyers and a crowd, as for a flash
   * sale, each at their home region (one in eight tries another region first, and is sent home).
   * Half the time the region with the most stock is quiet: none of the buyers lives there, so
   * every unit it holds must be moved to be sold.
   */
  private void planShardedPurchases(EventSpec spec, Random buyers, long opensMicros) {
    int users = 2 + buyers.nextInt(10);
    String quiet = spec.regions().size() > 1 && buyers.nextBoolean()
        ? spec.shardUnits().entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey() : null;
    if (quiet != null) sim.oracle.count("sharded events with a quiet region");
    for (int r = 0; r < spec.regions().size(); r++) {
      for (int i = 0; i < spec.stock(); i++) {
        String userId = awayFrom(quiet, spec, "solo-" + requestIds);
        buyLater(buyers, shardedEntry(buyers, spec, userId), spec, userId, 1, List.of(), opensMicros);
      }
      int crowd = buyers.nextInt((int) (2 * spec.stock()) + 5);
      for (int i = 0; i < crowd; i++) {
        String userId = awayFrom(quiet, spec, "user-" + buyers.nextInt(users));
        Purchase p = buyLater(buyers, shardedEntry(buyers, spec, userId), spec, userId,
            1 + buyers.nextInt(spec.perUserLimit()), List.of(), opensMicros);
        if (buyers.nextInt(20) == 0) { // the same request again, through another node or region
          SimRegionNode other = sim.region(spec.regions().get(buyers.nextInt(spec.regions().size())), buyers);
          sim.planned(opensMicros + buyers.nextLong(SALE_MICROS + 20_000), () -> {
            sim.oracle.count("purchases sent through two regions");
            sim.buy(other, spec, p.requestId(), p.userId(), p.quantity(), p.slots());
          });
        }
      }
    }
  }

  /** {@code userId}, or the first of its variants whose home is not {@code quiet}; the same for the same user. */
  private static String awayFrom(String quiet, EventSpec spec, String userId) {
    String id = userId;
    while (quiet != null && flashsale.shard.ShardHome.of(id, spec.regions()).equals(quiet)) id += ".";
    return id;
  }

  private SimRegionNode shardedEntry(Random buyers, EventSpec spec, String userId) {
    String region = buyers.nextInt(8) == 0 ? spec.regions().get(buyers.nextInt(spec.regions().size()))
        : flashsale.shard.ShardHome.of(userId, spec.regions());
    return sim.region(region, buyers);
  }

  /** Each region's bidders, some bidding twice (a retry of the same request through another region). */
  private void planBids(EventSpec spec, Random buyers, long opensMicros) {
    int users = 2 + buyers.nextInt(10);
    for (String name : spec.regions()) {
      SimRegionNode region = sim.region(name, buyers);
      for (int i = 0, n = 1 + buyers.nextInt((int) (3 * spec.stock()) + 5); i < n; i++) {
        String requestId = "bid-" + requestIds++;
        String userId = "user-" + buyers.nextInt(users);
        long amountMinor = 50 + buyers.nextInt(500);
        sim.planned(opensMicros + buyers.nextLong(SALE_MICROS + SALE_MICROS / 2),
            () -> sim.bid(region, spec, requestId, userId, amountMinor));
        if (buyers.nextInt(20) == 0) {
          SimRegionNode other = sim.region(spec.regions().get(buyers.nextInt(spec.regions().size())), buyers);
          sim.planned(opensMicros + buyers.nextLong(SALE_MICROS + 20_000), () -> {
            sim.oracle.count("bids sent through two regions");
            sim.bid(other, spec, requestId, userId, amountMinor);
          });
        }
      }
    }
  }

  private record Purchase(String requestId, String userId, int quantity, List<String> slots) {}

  private Purchase buyLater(Random buyers, SimRegionNode region, EventSpec spec, String userId, int quantity,
      List<String> slots, long opensMicros) {
    String requestId = "req-" + requestIds++;
    sim.planned(opensMicros + buyers.nextLong(SALE_MICROS), () -> sim.buy(region, spec, requestId, userId, quantity, slots));
    return new Purchase(requestId, userId, quantity, slots);
  }

  private void planRegionFaults(SimRegionNode region) {
    for (int i = 0; i < random.nextInt(3); i++) {
      sim.scheduler.at(random.nextLong(FAULTS_END_MICROS), () -> {
        sim.oracle.count("streams broken");
        sim.net.breakStreams(region.name, "UNAVAILABLE: connection reset");
      });
    }
    if (random.nextInt(5) == 0) {
      // Past the link's silence timeout and the arbiter's region timeout, or just short of them.
      long atMicros = random.nextLong(FAULTS_END_MICROS - 40_000);
      long untilMicros = Math.min(FAULTS_END_MICROS, atMicros + 20_000 + random.nextLong(100_000));
      sim.scheduler.at(atMicros, () -> {
        sim.oracle.count("partitions");
        sim.net.partition(region.name, untilMicros);
      });
    }
    if (random.nextInt(8) == 0) {
      long atMicros = random.nextLong(FAULTS_END_MICROS - 30_000);
      sim.scheduler.at(atMicros, () -> {
        sim.oracle.count("region crashes");
        region.crash();
      });
      sim.scheduler.at(atMicros + 1_000 + random.nextLong(20_000), region::restart);
    }
  }

  /** The lease moves: the old leader stops at once, pauses past its lease, or crashes. */
  private void failover() {
    SimArbiter old = sim.leader();
    List<SimArbiter> others = sim.arbiters.stream().filter(a -> a != old && a.loop.up()).toList();
    if (others.isEmpty()) return;
    SimArbiter next = others.get(random.nextInt(others.size()));
    switch (random.nextInt(3)) {
      case 0 -> sim.elect(next, old, 0);
      case 1 -> {
        sim.oracle.count("leaders paused past their lease");
        sim.elect(next, old, 1_000 + random.nextLong(60_000));
      }
      default -> {
        sim.oracle.count("leader crashes");
        old.crash();
        sim.net.breakStreamsTo(old);
        long restartMicros = 5_000 + random.nextLong(40_000);
        sim.scheduler.after(restartMicros, old::restart);
        // Unless another failover moved the lease from the dead leader meanwhile: no lease is taken from a live one.
        sim.scheduler.after(random.nextLong(20_000), () -> {
          if (sim.leaseHolder.equals(old.name)) sim.elect(next, null, 0);
        });
      }
    }
  }

  private void planClockEpisode(SimRegionNode region) {
    sim.oracle.badClockRegions.add(region.name);
    long fromMicros = random.nextLong(SALE_MICROS);
    long good = region.clock.offsetMicros();
    long bad = good + 8_000 + random.nextLong(30_000);
    sim.scheduler.at(fromMicros, () -> {
      sim.oracle.count("clocks stepped off");
      region.clock.stepTo(bad);
    });
    sim.scheduler.at(fromMicros + 20_000 + random.nextLong(60_000), () -> region.clock.stepTo(good));
  }

  /** Faults end: every crashed node is back (restarts are already scheduled) and the lease holder is up. */
  private void heal() {
    SimArbiter leader = sim.leader();
    if (!leader.loop.up()) leader.restart();
    if (!leader.leading()) sim.elect(leader, null, 0);
    for (SimRegionNode region : sim.regions) {
      if (!region.up()) region.restart();
    }
  }
}
