package flashsale.shard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest report of each region node of one event, with when it came (the caller's clock). A
 * region's demand is the sum of its nodes' fresh reports: two nodes of a region each hold their
 * own purchases, so one's report must not overwrite the other's. A report older than the staleness
 * bound no longer counts as demand: a region that went quiet or away becomes a donor instead of
 * hoarding stock.
 */
public final class ShardReports {
  private record Received(ShardDemand demand, long atMicros) {}

  /** A region node's reports: its region and its node id ("" from a node that names none). */
  private record Reporter(String region, String nodeId) {}

  private final long staleAfterMicros;
  private final Map<Reporter, Received> latest = new HashMap<>();

  public ShardReports(long staleAfterMicros) {
    this.staleAfterMicros = staleAfterMicros;
  }

  /** A report from a region that names no node: it stands for the whole region. */
  public void report(ShardDemand demand, long nowMicros) {
    report("", demand, nowMicros);
  }

  /** The latest report of node {@code nodeId} of {@code demand}'s region; stale ones of other nodes go. */
  public void report(String nodeId, ShardDemand demand, long nowMicros) {
    latest.values().removeIf(r -> stale(r, nowMicros)); // a node that restarted under a new id is not kept
    latest.put(new Reporter(demand.region(), nodeId), new Received(demand, nowMicros));
  }

  /**
   * Demands of {@code regions} with remaining units from the stores' own figures (fresher than
   * any report), and the waiting units and rates of each region's fresh reports, summed over its
   * nodes; zero demand otherwise.
   */
  public List<ShardDemand> demands(Map<String, Long> remainingByRegion, long nowMicros) {
    Map<String, long[]> freshByRegion = new HashMap<>(); // waiting units, units per second
    latest.forEach((reporter, r) -> {
      if (stale(r, nowMicros)) return;
      long[] sums = freshByRegion.computeIfAbsent(reporter.region(), region -> new long[2]);
      sums[0] = saturatedAdd(sums[0], r.demand().waitingUnits());
      sums[1] = saturatedAdd(sums[1], r.demand().demandUnitsPerSecond());
    });
    List<ShardDemand> demands = new ArrayList<>();
    remainingByRegion.forEach((region, remaining) -> {
      long[] sums = freshByRegion.getOrDefault(region, new long[2]);
      demands.add(new ShardDemand(region, remaining, sums[0], sums[1]));
    });
    return demands;
  }

  /** True while some region's latest report is fresh: the event is worth watching. */
  public boolean active(long nowMicros) {
    return latest.values().stream().anyMatch(r -> !stale(r, nowMicros));
  }

  private boolean stale(Received r, long nowMicros) {
    return nowMicros - r.atMicros() > staleAfterMicros;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
