package flashsale.sale;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a new leader needs to go on deciding an event, and no more: its size does not grow with
 * the event's history. Per-user counts and decided request ids stay in the store, whose persist
 * function refuses a batch that breaks them ({@code flashsale.store.StoreRefusedException}).
 *
 * @param lastRank rank of the last decision stored (0 for none)
 * @param wins winning decisions stored
 * @param lateDecisions decisions stored for tickets that arrived behind the order
 * @param soldOutMicros stamp of the winner that took the last unit, once sold out
 * @param lastReleased the last ticket released in global order (stamp and request id, which give
 *     its tie-break): a ticket at or below it is late
 * @param remainingBySlot a reservation's units left per slot (summing to {@code remainingStock});
 *     empty for a flash sale
 * @param auction an auction's standing bids and close (fresh when nothing is decided yet); empty for
 *     the other kinds, and for an auction stored without it (which no leader can resume)
 */
public record EventHead(
    EventSpec spec,
    long remainingStock,
    long lastRank,
    long wins,
    long lateDecisions,
    OptionalLong soldOutMicros,
    Optional<Released> lastReleased,
    Map<String, Long> remainingBySlot,
    Optional<AuctionStanding> auction) {

  /** The head of a flash sale or reservation. */
  public EventHead(EventSpec spec, long remainingStock, long lastRank, long wins, long lateDecisions,
      OptionalLong soldOutMicros, Optional<Released> lastReleased, Map<String, Long> remainingBySlot) {
    this(spec, remainingStock, lastRank, wins, lateDecisions, soldOutMicros, lastReleased, remainingBySlot,
        Optional.empty());
  }

  /** The head of a flash sale (no slots). */
  public EventHead(EventSpec spec, long remainingStock, long lastRank, long wins, long lateDecisions,
      OptionalLong soldOutMicros, Optional<Released> lastReleased) {
    this(spec, remainingStock, lastRank, wins, lateDecisions, soldOutMicros, lastReleased, Map.of());
  }

  /**
   * The last released ticket, as much of it as ordering needs: its stamp and uncertainty interval,
   * its region and node (near-ties are between regions; a ticket of the same node is never ordered
   * back across it) and its user and request id (its lottery draw and tie-break).
   */
  public record Released(long stampMicros, String requestId, String userId, String region, long errorBoundMicros,
      String node) {
    private static final String SEPARATOR = "\n"; // in no request id, user id, region or node id

    public Released {
      java.util.Objects.requireNonNull(node, "node");
    }

    /** A ticket of a region's unnamed node. */
    public Released(long stampMicros, String requestId, String userId, String region, long errorBoundMicros) {
      this(stampMicros, requestId, userId, region, errorBoundMicros, "");
    }

    public static Released of(Ticket t) {
      return new Released(t.stampMicros(), t.requestId(), t.userId(), t.region(), t.errorBoundMicros(), t.node());
    }

    /** The ticket to order against (its quantity plays no part in ordering). */
    public Ticket asTicket(String eventId) {
      return new Ticket(eventId, requestId, userId, 1, region, stampMicros, errorBoundMicros).withNode(node);
    }

    /** Everything but the stamp, as one text field for the store; the node only when it has one. */
    public String text() {
      String ordering = String.join(SEPARATOR, requestId, userId, region, Long.toString(errorBoundMicros));
      return node.isEmpty() ? ordering : ordering + SEPARATOR + node;
    }

    /**
     * Parses {@link #text()}; a bare request id (stored before user, region and bound were) has none
     * of them, and four fields (stored before nodes were) name the region's unnamed node.
     */
    public static Released parse(long stampMicros, String text) {
      String[] parts = text.split(SEPARATOR, -1);
      if (parts.length != 4 && parts.length != 5) return new Released(stampMicros, text, "", "", 0);
      return new Released(stampMicros, parts[0], parts[1], parts[2], Long.parseLong(parts[3]),
          parts.length == 5 ? parts[4] : "");
    }
  }

  public EventHead {
    if (remainingStock < 0 || remainingStock > spec.stock()) {
      throw new IllegalStateException("event " + spec.eventId() + ": remaining stock " + remainingStock
          + " outside [0, " + spec.stock() + "]");
    }
    if (lastRank < 0 || wins < 0 || wins > lastRank || lateDecisions < 0 || lateDecisions > lastRank) {
      throw new IllegalStateException("event " + spec.eventId() + ": inconsistent counters lastRank=" + lastRank
          + " wins=" + wins + " late=" + lateDecisions);
    }
    if ((remainingStock == 0 && spec.stock() > 0) != soldOutMicros.isPresent()) {
      throw new IllegalStateException("event " + spec.eventId() + ": remaining " + remainingStock
          + " disagrees with sold-out stamp " + soldOutMicros);
    }
    remainingBySlot = Collections.unmodifiableMap(new LinkedHashMap<>(remainingBySlot));
    requireSlotsFit(spec, remainingStock, remainingBySlot);
    if (spec.auction().isEmpty() && auction.isPresent()) {
      throw new IllegalStateException("event " + spec.eventId() + " is no auction but has standing bids " + auction);
    }
    if (spec.auction().isPresent() && auction.isEmpty() && lastRank == 0) auction = Optional.of(AuctionStanding.fresh(spec));
  }

  /** No slot below 0 or above its capacity, every slot of the event present, summing to the total. */
  private static void requireSlotsFit(EventSpec spec, long remainingStock, Map<String, Long> remainingBySlot) {
    boolean fits = remainingBySlot.keySet().equals(spec.slots().keySet())
        && remainingBySlot.values().stream().mapToLong(Long::longValue).sum() == (spec.slots().isEmpty() ? 0 : remainingStock);
    for (var slot : remainingBySlot.entrySet()) {
      fits &= slot.getValue() >= 0 && slot.getValue() <= spec.slots().get(slot.getKey());
    }
    if (!fits) {
      throw new IllegalStateException("event " + spec.eventId() + ": slots left " + remainingBySlot
          + " do not fit capacities " + spec.slots() + " with " + remainingStock + " remaining");
    }
  }

  /** The head of an event nobody has bought from yet. */
  public static EventHead fresh(EventSpec spec) {
    return new EventHead(spec, spec.stock(), 0, 0, 0, OptionalLong.empty(), Optional.empty(), spec.slots());
  }

  public long unitsSold() {
    return spec.stock() - remainingStock;
  }

  /** This head with {@code lastReleased} in place of its own. */
  public EventHead withLastReleased(Optional<Released> released) {
    return new EventHead(spec, remainingStock, lastRank, wins, lateDecisions, soldOutMicros, released, remainingBySlot,
        auction);
  }

  /** This head with {@code standing} in place of its own auction standing. */
  public EventHead withAuction(Optional<AuctionStanding> standing) {
    return new EventHead(spec, remainingStock, lastRank, wins, lateDecisions, soldOutMicros, lastReleased,
        remainingBySlot, standing);
  }

  /** Units a reservation's winners took per slot, subtracted from the capacities: what is left. */
  public static Map<String, Long> slotsLeft(EventSpec spec, Iterable<Decision> decisions) {
    Map<String, Long> left = new LinkedHashMap<>(spec.slots());
    for (Decision d : decisions) {
      if (!d.slot().isEmpty()) left.merge(d.slot(), -(long) d.unitsWon(), Long::sum);
    }
    return left;
  }
}
