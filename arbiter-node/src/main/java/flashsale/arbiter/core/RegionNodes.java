package flashsale.arbiter.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The sequencer's cursors, one per stream source: a region's unnamed node (keyed by the region) or
 * a named node ({@code region/node}); a region may run several nodes. Also keeps the placeholder
 * rule: a region no node has spoken for is waited for through its unnamed cursor, which a named
 * node's first word supersedes (see {@link RegionCursor#placeholderOnly}).
 */
final class RegionNodes {
  /** By source key, so a region's unnamed cursor and its named nodes sort together. */
  private final Map<String, RegionCursor> bySource = new TreeMap<>();

  RegionCursor get(String source) {
    return bySource.get(source);
  }

  Collection<RegionCursor> all() {
    return bySource.values();
  }

  /** The cursor of {@code source}, made if new; a new one is handed to {@code joined} (to join its region's events). */
  RegionCursor cursor(String source, long nowMicros, Consumer<RegionCursor> joined) {
    RegionCursor known = bySource.get(source);
    if (known != null) return known;
    RegionCursor cursor = new RegionCursor(source, nowMicros);
    if (cursor.node().isEmpty() && bySource.values().stream()
        .anyMatch(c -> c.region().equals(cursor.region()) && !c.node().isEmpty() && c.spoken())) {
      cursor.supersede(); // its region is spoken for already
    }
    bySource.put(source, cursor);
    joined.accept(cursor);
    return cursor;
  }

  /**
   * The known nodes of {@code region}; none known yet: its unnamed cursor, which waits for the
   * region until a node speaks for it or it times out.
   */
  List<RegionCursor> nodesOf(String region, long nowMicros, Consumer<RegionCursor> joined) {
    List<RegionCursor> nodes = new ArrayList<>();
    for (RegionCursor c : bySource.values()) {
      if (c.region().equals(region)) nodes.add(c);
    }
    if (nodes.isEmpty()) nodes.add(cursor(region, nowMicros, joined));
    return nodes;
  }

  /** {@code cursor} spoke: a named node's first word supersedes its region's placeholder. */
  void spoke(RegionCursor cursor) {
    if (!cursor.claimsRegion()) return;
    RegionCursor unnamed = bySource.get(cursor.region());
    if (unnamed != null) unnamed.supersede();
  }

  /** Every region node, and every region no node has spoken for yet, by source key. */
  List<RegionStatus> statuses() {
    return bySource.values().stream().filter(c -> !c.placeholderOnly()).map(RegionCursor::status).toList();
  }
}
