package flashsale.arbiter.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The sequencer's cursors, one per stream source: a region's unnamed node (keyed by the region) or
 * a named node ({@code region/node}); a region may run several nodes. Also keeps the placeholder
 * rule: a region no node has spoken for is waited for through its unnamed cursor, which a named
 * node's first word supersedes (see {@link RegionCursor#placeholderOnly}). And the join rule: a
 * node is welcomed with a stamp floor above everything already released in its region's events,
 * and a named node only once the store holds it, so every later leader waits for it.
 */
final class RegionNodes {
  /**
   * A named node disconnected, timed out and silent this long (since it was last heard) is
   * forgotten: node ids churn with deployments, and a leader's term may outlive hundreds of them.
   */
  static final long FORGET_SILENT_NODE_AFTER_MICROS = 10 * 60 * 1_000_000L;
  /**
   * Siblings named in hellos and never heard, kept per region: they are hints (see {@link
   * #expected}), and each would hold the region's events until it times out.
   */
  static final int MAX_UNHEARD_NODES_PER_REGION = 64;

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
   * The nodes of {@code region} a new event waits for: the known ones not left out for silence (a
   * node scaled in, or one an earlier leader recorded that never came back, would otherwise hold
   * every new event, and every auction close up to the held-back bound; it joins every event when
   * it is heard again). None known yet: its unnamed cursor, which waits for the region until a node
   * speaks for it or it times out.
   */
  List<RegionCursor> nodesOf(String region, long nowMicros, Consumer<RegionCursor> joined) {
    List<RegionCursor> nodes = new ArrayList<>();
    for (RegionCursor c : bySource.values()) {
      if (c.region().equals(region) && !c.silentPastTimeout()) nodes.add(c);
    }
    if (nodes.isEmpty()) nodes.add(cursor(region, nowMicros, joined));
    return nodes;
  }

  /**
   * A stream of {@code source} opened: its welcome at once, or first its record (a named node the
   * store does not hold). The cursor is new or back from a timeout, or it was waited for already,
   * so the frontier holds until it speaks.
   *
   * @param releasedIn per region, the latest stamp released in its events ({@link Long#MIN_VALUE} for none)
   */
  List<Effect> connected(String source, long nowMicros, Consumer<RegionCursor> joined, ToLongFunction<String> releasedIn) {
    RegionCursor cursor = cursor(source, nowMicros, joined);
    cursor.connect();
    List<Effect> effects = new ArrayList<>();
    heard(cursor, nowMicros, "reconnected", joined, effects);
    if (!cursor.welcomeWaitsForRecord()) {
      effects.add(welcome(cursor, releasedIn));
    } else if (cursor.startRecording()) {
      effects.add(new Effect.RecordRegionNode(source));
    }
    return effects;
  }

  /** The store holds {@code source} now: its current stream's welcome, if that waited for it. */
  List<Effect> recorded(String source, ToLongFunction<String> releasedIn) {
    RegionCursor cursor = bySource.get(source);
    return cursor != null && cursor.recordedNow() ? List.of(welcome(cursor, releasedIn)) : List.of();
  }

  /** Named nodes an earlier leader recorded: each is waited for until it speaks or times out. */
  void recordedBefore(List<String> sources, long nowMicros, Consumer<RegionCursor> joined) {
    for (String source : sources) {
      if (!flashsale.sale.StreamSource.nodeOf(source).isEmpty()) cursor(source, nowMicros, joined).heldByStore();
    }
  }

  /**
   * The node stamps nothing at or below the floor: above its own promise and above every released
   * ticket of its region's events, so none of its tickets arrives behind the order.
   */
  private static Effect welcome(RegionCursor cursor, ToLongFunction<String> releasedIn) {
    long floorMicros = Math.max(cursor.spoken() ? cursor.watermarkMicros() : Long.MIN_VALUE,
        releasedIn.applyAsLong(cursor.region()));
    return new Effect.WelcomeRegionNode(cursor.source(), floorMicros);
  }

  /**
   * {@code cursor} was heard: one left out for silence rejoins the frontier, joins the events made
   * while it was silent ({@code joined}), and a named one is recorded again.
   */
  void heard(RegionCursor cursor, long nowMicros, String how, Consumer<RegionCursor> joined, List<Effect> effects) {
    if (!cursor.heard(nowMicros)) return;
    joined.accept(cursor);
    effects.add(new Effect.RegionExclusion(cursor.source(), false, "region " + cursor.source() + " " + how
        + ": rejoins the frontier"));
    if (cursor.startRecording()) effects.add(new Effect.RecordRegionNode(cursor.source()));
  }

  /** {@code cursor} spoke: a named node's first word supersedes its region's placeholder. */
  void spoke(RegionCursor cursor) {
    if (!cursor.claimsRegion()) return;
    RegionCursor unnamed = bySource.get(cursor.region());
    if (unnamed != null) unnamed.supersede();
  }

  /**
   * Siblings a node of {@code region} named: each one not known yet is waited for like a node that
   * has not spoken, unless {@link #MAX_UNHEARD_NODES_PER_REGION} siblings named in hellos are still
   * kept unheard in the region (a hello is only a hint, and could name thousands; those that never
   * come are forgotten with {@link #forgetSilent}).
   */
  void expected(String region, List<String> nodeIds, long nowMicros, Consumer<RegionCursor> joined) {
    long unheard = bySource.values().stream()
        .filter(c -> c.region().equals(region) && c.hintedAndUnheard()).count();
    for (String node : nodeIds) {
      if (node.isEmpty()) continue;
      String source = flashsale.sale.StreamSource.key(region, node);
      if (bySource.containsKey(source)) continue;
      if (unheard >= MAX_UNHEARD_NODES_PER_REGION) return;
      cursor(source, nowMicros, joined).hinted();
      unheard++;
    }
  }

  /**
   * Forgets every named node disconnected, timed out and silent for {@link
   * #FORGET_SILENT_NODE_AFTER_MICROS}, unless its clock is flagged (the flag would go with it). Such
   * a node holds nothing: it is left out of every frontier (the events that know it keep its
   * excluded cursor until a new one takes its place, see {@link EventBook#addSource}), and its
   * record in the store was forgotten at the timeout. Should it come back it joins as a new node,
   * welcomed above everything released in its region. Each one forgotten is told in {@code effects}.
   */
  void forgetSilent(long nowMicros, List<Effect> effects) {
    for (var it = bySource.values().iterator(); it.hasNext(); ) {
      RegionCursor c = it.next();
      if (c.node().isEmpty() || c.connected() || !c.silentPastTimeout() || c.clockFlagged()
          || c.silentMicros(nowMicros) <= FORGET_SILENT_NODE_AFTER_MICROS) {
        continue;
      }
      it.remove();
      effects.add(new Effect.RegionNodeForgotten(c.source(), "disconnected and silent for over "
          + FORGET_SILENT_NODE_AFTER_MICROS / 1_000_000 + " s: forgotten"));
    }
  }

  /** Every region node, and every region no node has spoken for yet, by source key. */
  List<RegionNodeStatus> statuses() {
    return bySource.values().stream().filter(c -> !c.placeholderOnly()).map(RegionCursor::status).toList();
  }
}
