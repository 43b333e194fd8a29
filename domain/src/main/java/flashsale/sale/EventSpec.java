package flashsale.sale;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An event as created: a flash sale, a reservation when it has slots, an auction when it has
 * auction rules. Times are UTC
 * microseconds since the epoch; the sale is open for stamps in {@code [startMicros, endMicros)}.
 *
 * @param tieBreakSeed key of the hash that orders equal stamps; chosen at creation and stored so
 *     that a re-decision after failover ranks exactly as before
 * @param shardUnits SHARDED only: each region's starting shard, summing to {@code stock}, in
 *     region order; empty for the other modes
 * @param slots RESERVATION only: each slot's capacity, in the order the event lists them, summing
 *     to {@code stock}; empty for a flash sale
 * @param auction AUCTION only: the auction's rules; its stock is their units, it opens at {@code
 *     startMicros} and closes at {@code endMicros} (later with a soft close, up to the cap)
 * @param poolsOpenedAtCreation CENTRAL and SHARDED only: the arbiter opens the event's pools (the
 *     central pool, or every region's shard) when it creates it, before any region hears of the
 *     event, so a node that finds one missing knows its store lost it. False for an event whose pools start at their first
 *     purchase (created by an earlier build): only a node that saw such a pool can tell it lost.
 */
public record EventSpec(
    String eventId,
    String item,
    long stock,
    long startMicros,
    long endMicros,
    int perUserLimit,
    List<String> regions,
    SaleMode mode,
    long tieBreakSeed,
    Map<String, Long> shardUnits,
    Map<String, Long> slots,
    Optional<AuctionRules> auction,
    boolean poolsOpenedAtCreation) {

  public EventSpec {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(item, "item");
    Objects.requireNonNull(mode, "mode");
    regions = List.copyOf(regions);
    if (stock < 0) throw new IllegalArgumentException("stock < 0: " + stock);
    if (endMicros <= startMicros) throw new IllegalArgumentException("end not after start");
    if (perUserLimit < 1) throw new IllegalArgumentException("perUserLimit < 1: " + perUserLimit);
    if (regions.isEmpty()) throw new IllegalArgumentException("no regions");
    shardUnits = Collections.unmodifiableMap(new LinkedHashMap<>(shardUnits));
    if (mode == SaleMode.SHARDED) {
      if (!shardUnits.keySet().equals(new java.util.HashSet<>(regions))) {
        throw new IllegalArgumentException("shards " + shardUnits.keySet() + " are not the regions " + regions);
      }
      long total = shardUnits.values().stream().mapToLong(Long::longValue).sum();
      if (total != stock || shardUnits.values().stream().anyMatch(u -> u < 0)) {
        throw new IllegalArgumentException("shards " + shardUnits + " do not split stock " + stock);
      }
    } else if (!shardUnits.isEmpty()) {
      throw new IllegalArgumentException("shard units given for mode " + mode);
    }
    slots = Collections.unmodifiableMap(new LinkedHashMap<>(slots));
    if (!slots.isEmpty()) {
      if (mode != SaleMode.GLOBAL_ORDER) throw new IllegalArgumentException("a reservation needs GLOBAL_ORDER, not " + mode);
      long total = slots.values().stream().mapToLong(Long::longValue).sum();
      if (total != stock || slots.values().stream().anyMatch(c -> c < 1)) {
        throw new IllegalArgumentException("slots " + slots + " do not split stock " + stock);
      }
    }
    Objects.requireNonNull(auction, "auction");
    if (auction.isPresent()) {
      if (mode != SaleMode.GLOBAL_ORDER || !slots.isEmpty() || stock != auction.get().units()) {
        throw new IllegalArgumentException("an auction needs GLOBAL_ORDER, no slots and stock " + stock
            + " equal to its units " + auction.get().units() + " (mode " + mode + ", slots " + slots + ")");
      }
    }
    if (poolsOpenedAtCreation && mode == SaleMode.GLOBAL_ORDER) {
      throw new IllegalArgumentException("a GLOBAL_ORDER event has no pools to open");
    }
  }

  /** An event whose pools, if any, start at their first purchase. */
  public EventSpec(String eventId, String item, long stock, long startMicros, long endMicros, int perUserLimit,
      List<String> regions, SaleMode mode, long tieBreakSeed, Map<String, Long> shardUnits, Map<String, Long> slots,
      Optional<AuctionRules> auction) {
    this(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, tieBreakSeed, shardUnits, slots,
        auction, false);
  }

  /** A flash sale or reservation (no auction). */
  public EventSpec(String eventId, String item, long stock, long startMicros, long endMicros, int perUserLimit,
      List<String> regions, SaleMode mode, long tieBreakSeed, Map<String, Long> shardUnits, Map<String, Long> slots) {
    this(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, tieBreakSeed, shardUnits, slots,
        Optional.empty());
  }

  /** A GLOBAL_ORDER auction of {@code rules.units()} units, open for bids stamped in [start, end). */
  public static EventSpec auction(String eventId, String item, AuctionRules rules, long startMicros, long endMicros,
      List<String> regions, long tieBreakSeed) {
    return new EventSpec(eventId, item, rules.units(), startMicros, endMicros, rules.units(), regions,
        SaleMode.GLOBAL_ORDER, tieBreakSeed, Map.of(), Map.of(), Optional.of(rules));
  }

  /** A flash sale (no slots) with its shard split given. */
  public EventSpec(String eventId, String item, long stock, long startMicros, long endMicros, int perUserLimit,
      List<String> regions, SaleMode mode, long tieBreakSeed, Map<String, Long> shardUnits) {
    this(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, tieBreakSeed, shardUnits, Map.of());
  }

  /** A GLOBAL_ORDER reservation whose stock is the sum of its slots' capacities. */
  public static EventSpec reservation(String eventId, String item, Map<String, Long> slots, long startMicros,
      long endMicros, int perUserLimit, List<String> regions, long tieBreakSeed) {
    long stock = slots.values().stream().mapToLong(Long::longValue).sum();
    return new EventSpec(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, SaleMode.GLOBAL_ORDER,
        tieBreakSeed, Map.of(), slots);
  }

  public EventKind kind() {
    if (auction.isPresent()) return EventKind.AUCTION;
    return slots.isEmpty() ? EventKind.FLASH_SALE : EventKind.RESERVATION;
  }

  /** An event whose stock, if SHARDED, is split equally (earlier regions get the remainder). */
  public EventSpec(String eventId, String item, long stock, long startMicros, long endMicros, int perUserLimit,
      List<String> regions, SaleMode mode, long tieBreakSeed) {
    this(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, tieBreakSeed,
        mode == SaleMode.SHARDED ? equalSplit(stock, regions) : Map.of());
  }

  private static Map<String, Long> equalSplit(long stock, List<String> regions) {
    Map<String, Long> units = new LinkedHashMap<>();
    for (int i = 0; i < regions.size(); i++) units.put(regions.get(i), stock / regions.size() + (i < stock % regions.size() ? 1 : 0));
    return units;
  }

  /** Units the region's shard starts with; 0 for a region without one. */
  public long shardUnitsOf(String region) {
    return shardUnits.getOrDefault(region, 0L);
  }

  /**
   * Why a request naming {@code requestedSlots} does not fit this event's kind, or null when it
   * does: a reservation needs slots, all of them its own and none twice; a flash sale takes none.
   * The reason reads after the word "slots".
   */
  public String slotsProblem(List<String> requestedSlots) {
    if (slots.isEmpty()) {
      return requestedSlots.isEmpty() ? null : "are only for reservations, and event " + eventId + " is a flash sale";
    }
    if (requestedSlots.isEmpty()) {
      return "are required: event " + eventId + " is a reservation; name one or more of " + someOf(slots.keySet())
          + ", best first";
    }
    if (Identifiers.anyTwice(requestedSlots)) return "name a slot twice: " + someOf(requestedSlots);
    for (String slot : requestedSlots) {
      if (!slots.containsKey(slot)) {
        return "name '" + slot + "', which event " + eventId + " does not have (it has " + someOf(slots.keySet()) + ")";
      }
    }
    return null;
  }

  /** Slots named in an answer: an event of thousands would not fit in a status a client accepts. */
  static final int SLOTS_NAMED = 10;

  /** The first {@link #SLOTS_NAMED} of {@code names}, and how many more there are. */
  private static String someOf(java.util.Collection<String> names) {
    if (names.size() <= SLOTS_NAMED) return names.toString();
    return names.stream().limit(SLOTS_NAMED).toList().toString().replaceFirst("]$", "")
        + ", ... and " + (names.size() - SLOTS_NAMED) + " more]";
  }

  /**
   * True when a request stamped at {@code stampMicros} falls inside the sale window; for an auction,
   * before the latest close a soft close may reach (its turn in the order says if it made the close).
   */
  public boolean isOpenAt(long stampMicros) {
    return stampMicros >= startMicros && stampMicros < latestCloseMicros();
  }

  /** The end, or an auction's end plus its soft-close cap. */
  public long latestCloseMicros() {
    return endMicros + auction.map(AuctionRules::softCloseCapMicros).orElse(0L);
  }

  /**
   * Why a ticket's bid does not fit this event's kind, or null when it does: an auction takes bids
   * only, the other kinds none. Reads after the word "bid".
   */
  public String bidProblem(Ticket ticket) {
    if (auction.isPresent() == ticket.isBid()) return null;
    return auction.isPresent() ? "required: event " + eventId + " is an auction"
        : "refused: event " + eventId + " is a " + kind() + ", not an auction";
  }

  public boolean sellsIn(String region) {
    return regions.contains(region);
  }

  /** The same event with a different tie-break seed (used when a create request omits it). */
  public EventSpec withTieBreakSeed(long seed) {
    return new EventSpec(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, seed, shardUnits,
        slots, auction, poolsOpenedAtCreation);
  }

  /** The same event, its pools opened at creation or not (see {@link #poolsOpenedAtCreation}). */
  public EventSpec withPoolsOpenedAtCreation(boolean opened) {
    return new EventSpec(eventId, item, stock, startMicros, endMicros, perUserLimit, regions, mode, tieBreakSeed,
        shardUnits, slots, auction, opened);
  }

  /** CENTRAL or SHARDED: the event sells from pools ({@link #poolsOpenedAtCreation}), not through the sequencer. */
  public boolean hasPools() {
    return mode != SaleMode.GLOBAL_ORDER;
  }
}
