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
 */
public record EventHead(
    EventSpec spec,
    long remainingStock,
    long lastRank,
    long wins,
    long lateDecisions,
    OptionalLong soldOutMicros,
    Optional<Released> lastReleased,
    Map<String, Long> remainingBySlot) {

  /** The head of a flash sale (no slots). */
  public EventHead(EventSpec spec, long remainingStock, long lastRank, long wins, long lateDecisions,
      OptionalLong soldOutMicros, Optional<Released> lastReleased) {
    this(spec, remainingStock, lastRank, wins, lateDecisions, soldOutMicros, lastReleased, Map.of());
  }

  /**
   * The last released ticket, as much of it as ordering needs: its stamp and uncertainty interval,
   * its region (near-ties are between regions) and its user and request id (its lottery draw and
   * tie-break).
   */
  public record Released(long stampMicros, String requestId, String userId, String region, long errorBoundMicros) {
    private static final String SEPARATOR = "\n"; // in no request id, user id or region

    public static Released of(Ticket t) {
      return new Released(t.stampMicros(), t.requestId(), t.userId(), t.region(), t.errorBoundMicros());
    }

    /** The ticket to order against (its quantity plays no part in ordering). */
    public Ticket asTicket(String eventId) {
      return new Ticket(eventId, requestId, userId, 1, region, stampMicros, errorBoundMicros);
    }

    /** Everything but the stamp, as one text field for the store. */
    public String text() {
      return String.join(SEPARATOR, requestId, userId, region, Long.toString(errorBoundMicros));
    }

    /** Parses {@link #text()}; a bare request id (stored before this format) has no user, region or bound. */
    public static Released parse(long stampMicros, String text) {
      String[] parts = text.split(SEPARATOR, -1);
      if (parts.length != 4) return new Released(stampMicros, text, "", "", 0);
      return new Released(stampMicros, parts[0], parts[1], parts[2], Long.parseLong(parts[3]));
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
    return new EventHead(spec, remainingStock, lastRank, wins, lateDecisions, soldOutMicros, released, remainingBySlot);
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
