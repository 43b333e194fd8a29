package flashsale.region.core;

import flashsale.sale.Ticket;
import java.util.List;
import java.util.Optional;

/**
 * A Purchase call as the core sees it, before any check. Fields may be empty or out of range.
 *
 * @param slots a reservation's acceptable slots, best first (unchecked: may repeat or be unknown)
 */
public record BuyRequest(String eventId, String userId, String requestId, int quantity, List<String> slots,
    Optional<Bid> bid) {

  /** A PlaceBid call's offer: amount in minor units and its currency (unchecked). */
  public record Bid(long amountMinor, String currencyCode) {
    public Bid {
      currencyCode = currencyCode == null ? "" : currencyCode;
    }
  }

  /** A purchase or reservation (no bid). */
  public BuyRequest(String eventId, String userId, String requestId, int quantity, List<String> slots) {
    this(eventId, userId, requestId, quantity, slots, Optional.empty());
  }

  /** A bid: one unit, no slots. */
  public static BuyRequest bid(String eventId, String userId, String requestId, long amountMinor, String currencyCode) {
    return new BuyRequest(eventId, userId, requestId, 1, List.of(), Optional.of(new Bid(amountMinor, currencyCode)));
  }

  /** The ticket's bid amount (0 for a purchase). */
  public long bidMinor() {
    return bid.map(Bid::amountMinor).orElse(0L);
  }

  public BuyRequest {
    bid = bid == null ? Optional.empty() : bid;
    eventId = eventId == null ? "" : eventId;
    userId = userId == null ? "" : userId;
    requestId = requestId == null ? "" : requestId;
    slots = slots == null ? List.of() : List.copyOf(slots);
  }

  /**
   * True when {@code decided}, ticketed under this request's id, is the same purchase (event, user,
   * quantity, slots, bid): a retry. Otherwise the id was reused for another purchase.
   */
  public boolean sameContentAs(Ticket decided) {
    return decided.eventId().equals(eventId)
        && decided.userId().equals(userId)
        && decided.quantity() == quantity
        && decided.slots().equals(slots)
        && decided.bidMinor() == bidMinor();
  }

  /** A flash-sale purchase (no slots). */
  public BuyRequest(String eventId, String userId, String requestId, int quantity) {
    this(eventId, userId, requestId, quantity, List.of());
  }
}
