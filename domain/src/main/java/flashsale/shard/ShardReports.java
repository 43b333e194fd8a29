package flashsale.shard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest report of each region of one event, with when it came (the caller's clock). A
 * report older than the staleness bound no longer counts as demand: a region that went quiet or
 * away becomes a donor instead of hoarding stock.
 */
public final class ShardReports {
  private record Received(ShardDemand demand, long atMicros) {}

  private final long staleAfterMicros;
  private final Map<String, Received> latest = new HashMap<>();

  public ShardReports(long staleAfterMicros) {
    this.staleAfterMicros = staleAfterMicros;
  }

  public void report(ShardDemand demand, long nowMicros) {
    latest.put(demand.region(), new Received(demand, nowMicros));
  }

  /**
   * Demands of {@code regions} with remaining units from the stores' own figures (fresher than
   * any report), and the waiting units and rates of fresh reports; zero demand otherwise.
   */
  public List<ShardDemand> demands(Map<String, Long> remainingByRegion, long nowMicros) {
    List<ShardDemand> demands = new ArrayList<>();
    remainingByRegion.forEach((region, remaining) -> {
      Received r = latest.get(region);
      boolean fresh = r != null && nowMicros - r.atMicros() <= staleAfterMicros;
      demands.add(new ShardDemand(region, remaining, fresh ? r.demand().waitingUnits() : 0,
          fresh ? r.demand().demandUnitsPerSecond() : 0));
    });
    return demands;
  }

  /** True while some region's latest report is fresh: the event is worth watching. */
  public boolean active(long nowMicros) {
    return latest.values().stream().anyMatch(r -> nowMicros - r.atMicros() <= staleAfterMicros);
  }
}
