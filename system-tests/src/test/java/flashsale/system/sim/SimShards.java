package flashsale.system.sim;

import flashsale.sale.EventSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * What SHARDED events of one run share: each region's shard store with its distance from the
 * arbiters, the timings of the sellers and coordinators (drawn per run, far shorter than
 * production's so holds run out and reports go stale within a run), and the oracle. Draws from a
 * stream of its own, so a seed's other events plan as they did before SHARDED events existed.
 */
final class SimShards {
  /** Whether some events are SHARDED (on by default; {@code -Dsim.sharded=false} turns it off). */
  static final boolean ON = Boolean.parseBoolean(System.getProperty("sim.sharded", "true"));

  final Random random;
  final SimShardOracle oracle;
  private final SimScheduler scheduler;
  private final Consumer<String> count;
  final Map<String, SimShardStore> stores = new LinkedHashMap<>();
  private final Map<String, Long> wanMicros = new LinkedHashMap<>();

  /** How long a held purchase waits for stock before STOCK_IN_TRANSIT. */
  final long holdMs;
  final long reportIntervalMs;
  /** A report unanswered this long fails at its region (production: 2 s). */
  final long reportDeadlineMicros;
  /** An event without purchases for this long stops being reported (production: 3 s). */
  final long quietMs;
  final long tickMs;
  final long horizonMicros;
  final long staleReportMicros;
  private final int storeLossPerMille;

  SimShards(long seed, SimScheduler scheduler, Consumer<String> count) {
    this.random = new Random(new SplittableRandom(seed ^ 0x5a4d_ed5eL).nextLong());
    this.scheduler = scheduler;
    this.count = count;
    this.holdMs = 5 + random.nextInt(100);
    this.reportIntervalMs = 1 + random.nextInt(10);
    this.reportDeadlineMicros = 100_000 + random.nextLong(300_000);
    this.quietMs = 30 + random.nextInt(300);
    this.tickMs = 1 + random.nextInt(10);
    this.horizonMicros = random.nextInt(3) == 0 ? 0 : random.nextLong(200_000);
    this.staleReportMicros = 100_000 + random.nextLong(300_000);
    this.storeLossPerMille = random.nextInt(3) == 0 ? 20 + random.nextInt(60) : 0;
    this.oracle = new SimShardOracle(this, count);
  }

  /** The region's shard store, and now and then an outage of it during the faults. */
  void addRegion(String region) {
    if (stores.containsKey(region)) return;
    stores.put(region, new SimShardStore(region, scheduler, random, storeLossPerMille, count, oracle::storeCalled));
    wanMicros.put(region, 50 + random.nextLong(10_000));
    if (random.nextInt(5) == 0) {
      long fromMicros = random.nextLong(SimWorkload.FAULTS_END_MICROS - 20_000);
      stores.get(region).down(fromMicros, fromMicros + 2_000 + random.nextLong(40_000));
      count.accept("shard store outages");
    }
  }

  /**
   * A shard split of {@code stock} over {@code regions}: half the time all of it in one region (the
   * others must borrow every unit they sell), else each unit to a region drawn at random.
   */
  Map<String, Long> split(long stock, List<String> regions) {
    Map<String, Long> units = new LinkedHashMap<>();
    regions.forEach(r -> units.put(r, 0L));
    String all = random.nextBoolean() ? regions.get(random.nextInt(regions.size())) : null;
    for (long i = 0; i < stock; i++) {
      units.merge(all != null ? all : regions.get(random.nextInt(regions.size())), 1L, Long::sum);
    }
    return units;
  }

  SimShardStore store(String region) {
    return stores.get(region);
  }

  /** How far the arbiters are from the region's shard store, one way. */
  long wanMicros(String region) {
    return wanMicros.get(region);
  }

  /** A region node's own store is next to it. */
  long localMicros() {
    return 20 + random.nextLong(300);
  }

  boolean sharded(EventSpec spec) {
    return spec.mode() == flashsale.sale.SaleMode.SHARDED;
  }
}
