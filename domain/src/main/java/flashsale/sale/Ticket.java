package flashsale.sale;

import java.util.List;
import java.util.Objects;

/**
 * A purchase request stamped at its region: the unit the arbiter ranks.
 *
 * @param stampMicros arrival at the region, UTC microseconds; strictly increasing per region
 * @param errorBoundMicros half-width of the stamp's uncertainty (region clock error plus stamping
 *     bound): the true arrival lies in {@code [stamp - bound, stamp + bound]}
 * @param slots a reservation's acceptable slots, best first; empty for a flash-sale purchase
 * @param bidMinor an auction bid's amount in minor units (quantity 1); 0 for a purchase
 * @param node the region node that stamped it, one ordered stream of its region ({@link StreamSource});
 *     empty for a region that runs one unnamed node
 */
public record Ticket(String eventId, String requestId, String userId, int quantity, String region, long stampMicros,
    long errorBoundMicros, List<String> slots, long bidMinor, String node) {

  public Ticket {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(node, "node");
    if (quantity < 1) throw new IllegalArgumentException("quantity < 1: " + quantity);
    if (errorBoundMicros < 0) throw new IllegalArgumentException("errorBoundMicros < 0: " + errorBoundMicros);
    slots = List.copyOf(slots);
    if (Identifiers.anyTwice(slots)) throw new IllegalArgumentException("slot named twice: " + slots);
    if (bidMinor < 0 || bidMinor > AuctionRules.MAX_AMOUNT_MINOR) {
      throw new IllegalArgumentException("bid " + bidMinor + " outside 0.." + AuctionRules.MAX_AMOUNT_MINOR);
    }
    if (bidMinor > 0 && (quantity != 1 || !slots.isEmpty())) {
      throw new IllegalArgumentException("a bid takes one unit and no slots, not " + quantity + " of " + slots);
    }
  }

  /** A ticket of a region's unnamed node. */
  public Ticket(String eventId, String requestId, String userId, int quantity, String region, long stampMicros,
      long errorBoundMicros, List<String> slots, long bidMinor) {
    this(eventId, requestId, userId, quantity, region, stampMicros, errorBoundMicros, slots, bidMinor, "");
  }

  /** A purchase or reservation ticket (no bid). */
  public Ticket(String eventId, String requestId, String userId, int quantity, String region, long stampMicros,
      long errorBoundMicros, List<String> slots) {
    this(eventId, requestId, userId, quantity, region, stampMicros, errorBoundMicros, slots, 0);
  }

  /** An auction bid of {@code bidMinor} minor units. */
  public static Ticket bid(String eventId, String requestId, String userId, long bidMinor, String region,
      long stampMicros, long errorBoundMicros) {
    if (bidMinor < 1) throw new IllegalArgumentException("bid < 1: " + bidMinor);
    return new Ticket(eventId, requestId, userId, 1, region, stampMicros, errorBoundMicros, List.of(), bidMinor);
  }

  public boolean isBid() {
    return bidMinor > 0;
  }

  /** A flash-sale ticket (no slots). */
  public Ticket(String eventId, String requestId, String userId, int quantity, String region, long stampMicros,
      long errorBoundMicros) {
    this(eventId, requestId, userId, quantity, region, stampMicros, errorBoundMicros, List.of());
  }

  /** A ticket whose stamp is taken as exact (no uncertainty). */
  public Ticket(String eventId, String requestId, String userId, int quantity, String region, long stampMicros) {
    this(eventId, requestId, userId, quantity, region, stampMicros, 0);
  }

  /** This ticket with its uncertainty set to {@code micros}. */
  public Ticket withErrorBound(long micros) {
    return micros == errorBoundMicros ? this
        : new Ticket(eventId, requestId, userId, quantity, region, stampMicros, micros, slots, bidMinor, node);
  }

  /** This ticket as stamped by region node {@code nodeId} (empty: the region's unnamed node). */
  public Ticket withNode(String nodeId) {
    return nodeId.equals(node) ? this
        : new Ticket(eventId, requestId, userId, quantity, region, stampMicros, errorBoundMicros, slots, bidMinor, nodeId);
  }

  /** The ordered stream that stamped it: its region, or region and node ({@link StreamSource#key}). */
  public String source() {
    return StreamSource.key(region, node);
  }

  /** True when {@code other} is the same purchase (a retry), wherever and whenever it was stamped. */
  public boolean samePurchaseAs(Ticket other) {
    return eventId.equals(other.eventId)
        && requestId.equals(other.requestId)
        && userId.equals(other.userId)
        && quantity == other.quantity
        && slots.equals(other.slots)
        && bidMinor == other.bidMinor;
  }
}
