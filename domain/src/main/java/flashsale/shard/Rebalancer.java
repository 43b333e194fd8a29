package flashsale.shard;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which shard stock to move where. Pure: the same demands always give the same plans.
 *
 * <p>A region's <em>need</em> is what it is expected to sell within the horizon (held purchases
 * plus rate times horizon) beyond what it holds; its <em>surplus</em> is the opposite. Stock moves
 * from the largest surpluses to the regions that run out first (shortest time to empty). A region
 * with held purchases (a borrow) may in the end take from any region's stock that is not itself
 * held for, so no unit is stranded in a quiet region while someone waits. When every region with
 * stock is itself short for its held purchases and nothing else moves, their stock is pooled in the
 * one holding most: held purchases are served in order and never overtaken, so two regions each
 * holding part of what their oldest purchase asks would otherwise wait for each other forever.
 * With demand above stock the event sells out.
 */
public final class Rebalancer {
  private final long horizonMicros;

  /** @param horizonMicros how far ahead demand is projected; longer moves stock earlier and in bigger lots */
  public Rebalancer(long horizonMicros) {
    if (horizonMicros < 0) throw new IllegalArgumentException("horizon < 0: " + horizonMicros);
    this.horizonMicros = horizonMicros;
  }

  /**
   * Transfers to make now.
   *
   * @param busyTargets regions with a transfer still in flight towards them; they get nothing more
   *     until it lands, so a slow transfer is not answered with a pile of duplicates
   */
  public List<TransferPlan> plan(List<ShardDemand> shards, Set<String> busyTargets) {
    Map<String, Long> available = new HashMap<>();
    Map<String, Long> surplus = new HashMap<>();
    for (ShardDemand s : shards) {
      available.put(s.region(), Math.max(0, s.remainingUnits() - s.waitingUnits()));
      surplus.put(s.region(), Math.max(0, s.remainingUnits() - s.expectedUnits(horizonMicros)));
    }
    List<TransferPlan> plans = new ArrayList<>();
    for (ShardDemand needy : byUrgency(shards)) {
      if (busyTargets.contains(needy.region())) continue;
      long need = needy.expectedUnits(horizonMicros) - needy.remainingUnits();
      if (need <= 0) continue;
      need -= give(needy.region(), need, surplus, available, plans);
      long borrow = Math.min(need, needy.waitingUnits() - needy.remainingUnits());
      if (borrow > 0) give(needy.region(), borrow, available, surplus, plans);
    }
    if (plans.isEmpty()) pool(shards, busyTargets, plans);
    return merge(plans);
  }

  /** Every short region's stock to the short region holding most, when two or more hold some. */
  private static void pool(List<ShardDemand> shards, Set<String> busyTargets, List<TransferPlan> plans) {
    List<ShardDemand> stuck = shards.stream()
        .filter(s -> s.remainingUnits() > 0 && s.waitingUnits() > s.remainingUnits())
        .sorted(Comparator.comparingLong(ShardDemand::remainingUnits).reversed().thenComparing(ShardDemand::region))
        .toList();
    if (stuck.size() < 2 || busyTargets.contains(stuck.getFirst().region())) return;
    String target = stuck.getFirst().region();
    for (ShardDemand s : stuck.subList(1, stuck.size())) plans.add(new TransferPlan(s.region(), target, s.remainingUnits()));
  }

  /** Regions that run out first come first: held purchases beyond stock, then time to empty. */
  private List<ShardDemand> byUrgency(List<ShardDemand> shards) {
    Comparator<ShardDemand> shortfall = Comparator.comparingLong(s -> s.remainingUnits() - s.waitingUnits());
    Comparator<ShardDemand> timeToEmpty = Comparator.comparingDouble(
        s -> s.demandUnitsPerSecond() == 0 ? Double.MAX_VALUE : (double) s.remainingUnits() / s.demandUnitsPerSecond());
    return shards.stream()
        .sorted(shortfall.thenComparing(timeToEmpty).thenComparing(ShardDemand::region))
        .toList();
  }

  /** Takes up to {@code need} from {@code pool} (largest first), charging {@code other} the same. */
  private static long give(String target, long need, Map<String, Long> pool, Map<String, Long> other,
      List<TransferPlan> plans) {
    long given = 0;
    List<String> donors = pool.entrySet().stream()
        .filter(e -> !e.getKey().equals(target) && e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .map(Map.Entry::getKey)
        .toList();
    for (String donor : donors) {
      if (given == need) break;
      long units = Math.min(need - given, pool.get(donor));
      pool.merge(donor, -units, Long::sum);
      other.merge(donor, -Math.min(units, other.get(donor)), Long::sum);
      plans.add(new TransferPlan(donor, target, units));
      given += units;
    }
    return given;
  }

  /** One transfer per (source, target): fewer two-step transfers for the same units. */
  private static List<TransferPlan> merge(List<TransferPlan> plans) {
    Map<List<String>, Long> units = new java.util.LinkedHashMap<>();
    plans.forEach(p -> units.merge(List.of(p.source(), p.target()), p.units(), Long::sum));
    return units.entrySet().stream().map(e -> new TransferPlan(e.getKey().get(0), e.getKey().get(1), e.getValue())).toList();
  }
}
