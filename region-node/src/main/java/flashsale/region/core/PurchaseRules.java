package flashsale.region.core;

import flashsale.sale.AuctionRules;
import flashsale.sale.TicketRefusal;
import flashsale.sale.Identifiers;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.sale.ErrorReason;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The checks a purchase must pass before it becomes a ticket: field syntax first (so a bad call
 * costs no lookup), then the event's rules at the stamp. Also turns the arbiter's rejections into
 * the error the waiting caller gets.
 */
public final class PurchaseRules {
  public static final int MAX_USER_ID_CHARS = 64;
  public static final int MAX_REQUEST_ID_CHARS = 128;
  /** As many slots as an event may have. */
  public static final int MAX_SLOTS = 1_000;

  private PurchaseRules() {}

  /** Syntax of the request's fields, independent of any event. */
  public static Optional<Failure> validate(BuyRequest req) {
    return checkId("event_id", req.eventId())
        .or(() -> checkId("user_id", req.userId()))
        .or(() -> checkRequestId(req.requestId()))
        .or(() -> req.quantity() < 1
            ? Optional.of(Failure.invalidField("quantity", "must be at least 1, got " + req.quantity()))
            : Optional.empty())
        .or(() -> checkSlotNames(req.slots()))
        .or(() -> req.bid().flatMap(PurchaseRules::checkBid));
  }

  private static Optional<Failure> checkBid(BuyRequest.Bid bid) {
    if (bid.amountMinor() < 1 || bid.amountMinor() > AuctionRules.MAX_AMOUNT_MINOR) {
      return Optional.of(Failure.invalidField("amount_minor", "must be between 1 and " + AuctionRules.MAX_AMOUNT_MINOR
          + " (minor units), got " + bid.amountMinor()));
    }
    if (!bid.currencyCode().matches("[A-Z]{3}")) {
      return Optional.of(Failure.invalidField("currency_code", "must be an ISO 4217 code such as EUR, got '"
          + bid.currencyCode() + "'"));
    }
    return Optional.empty();
  }

  /** A bid fits an auction only, in its currency; a purchase fits every other kind. */
  static Optional<Failure> checkKind(EventSpec spec, BuyRequest req) {
    if (spec.auction().isPresent() != req.bid().isPresent()) {
      return Optional.of(Failure.of(ErrorReason.WRONG_EVENT_KIND, spec.auction().isPresent()
          ? "event " + spec.eventId() + " is an auction: place a bid (PlaceBid), not a purchase"
          : "event " + spec.eventId() + " is a " + spec.kind() + ", not an auction: it takes no bids"));
    }
    String currency = spec.auction().map(a -> a.currencyCode()).orElse("");
    if (req.bid().isPresent() && !req.bid().get().currencyCode().equals(currency)) {
      return Optional.of(Failure.invalidField("currency_code", "must be " + currency + ", the currency of auction "
          + spec.eventId() + ", got " + req.bid().get().currencyCode()));
    }
    return Optional.empty();
  }

  /** Slot names are ids, each named once (the event's own slots are checked against the event). */
  private static Optional<Failure> checkSlotNames(List<String> slots) {
    if (slots.size() > MAX_SLOTS) return Optional.of(Failure.invalidField("slots", "must name at most " + MAX_SLOTS));
    Set<String> seen = new HashSet<>();
    for (String slot : slots) {
      if (!Identifiers.isId(slot)) {
        return Optional.of(Failure.invalidField("slots", "must each be 1 to 64 of [A-Za-z0-9._:-]"));
      }
      if (!seen.add(slot)) return Optional.of(Failure.invalidField("slots", "name slot " + slot + " twice"));
    }
    return Optional.empty();
  }

  /** An event or user id: 1 to 64 of {@code [A-Za-z0-9._:-]}. */
  public static Optional<Failure> checkId(String field, String value) {
    if (Identifiers.isId(value)) return Optional.empty();
    return Optional.of(Failure.invalidField(field, "must be 1 to " + MAX_USER_ID_CHARS + " of [A-Za-z0-9._:-]"));
  }

  public static Optional<Failure> checkRequestId(String value) {
    if (Identifiers.isRequestId(value)) return Optional.empty();
    return Optional.of(Failure.invalidField(
        "request_id", "must be 1 to " + MAX_REQUEST_ID_CHARS + " printable ASCII characters without spaces"));
  }

  /** The event's rules for a request stamped at {@code stampMicros} in {@code region}. */
  public static Optional<Failure> checkEvent(EventSpec spec, String region, BuyRequest req, long stampMicros) {
    if (spec.mode() != SaleMode.GLOBAL_ORDER) {
      // Other modes are sold by flashsale.region.modes, which reaches here only without a store.
      return Optional.of(
          Failure.of(ErrorReason.MODE_NOT_SUPPORTED, "event " + spec.eventId() + " is in mode " + spec.mode()
              + "; region " + region + " has no store for it (start it with --central-redis or --redis)"));
    }
    return checkSaleRules(spec, region, req, stampMicros);
  }

  /** The rules every mode shares: the region sells the event, quantity within limit, window open. */
  public static Optional<Failure> checkSaleRules(EventSpec spec, String region, BuyRequest req, long stampMicros) {
    if (!spec.sellsIn(region)) {
      return Optional.of(
          Failure.of(ErrorReason.REGION_NOT_IN_EVENT, "event " + spec.eventId() + " is sold in " + spec.regions()
              + ", not in region " + region));
    }
    Optional<Failure> kind = checkKind(spec, req);
    if (kind.isPresent()) return kind;
    String slots = spec.slotsProblem(req.slots());
    if (slots != null) return Optional.of(Failure.invalidField("slots", slots));
    if (req.quantity() > spec.perUserLimit()) {
      return Optional.of(
          Failure.invalidField("quantity", "must be at most the per-user limit " + spec.perUserLimit()
              + " of event " + spec.eventId() + ", got " + req.quantity()));
    }
    return windowFailure(spec, stampMicros);
  }

  /** EVENT_NOT_STARTED or EVENT_ENDED when the stamp falls outside {@code [start, end)}. */
  public static Optional<Failure> windowFailure(EventSpec spec, long stampMicros) {
    if (stampMicros < spec.startMicros()) {
      return Optional.of(
          Failure.of(ErrorReason.EVENT_NOT_STARTED, "event " + spec.eventId() + " starts at "
              + flashsale.sale.Micros.text(spec.startMicros()) + ", request stamped " + flashsale.sale.Micros.text(stampMicros)));
    }
    // An auction's close may move up to its cap; the arbiter judges a bid stamped before that.
    if (stampMicros >= spec.latestCloseMicros()) {
      return Optional.of(
          Failure.of(ErrorReason.EVENT_ENDED, "event " + spec.eventId() + " ended at "
              + flashsale.sale.Micros.text(spec.latestCloseMicros()) + ", request stamped "
              + flashsale.sale.Micros.text(stampMicros)));
    }
    return Optional.empty();
  }

  /**
   * A ticket stamped inside the sale that the arbiter refused as not open, judged at {@code
   * nowMicros} past the sale's end: the arbiter let the finished event go (it may have decided the
   * ticket before).
   */
  public static boolean refusedAfterItsEnd(EventSpec spec, long stampMicros, long nowMicros) {
    return windowFailure(spec, stampMicros).isEmpty() && nowMicros >= spec.latestCloseMicros();
  }

  /** The error a caller gets when the arbiter refuses to rank its ticket, judged by the region's clock at {@code nowMicros}. */
  public static Failure rejectionFailure(
      TicketRefusal rejection, Ticket ticket, Optional<EventSpec> spec, String arbiterMessage, long nowMicros) {
    String context = "arbiter rejected request " + ticket.requestId() + " of event " + ticket.eventId() + ": "
        + arbiterMessage;
    return switch (rejection) {
      case REQUEST_ID_CONFLICT -> Failure.of(ErrorReason.REQUEST_ID_REUSED, context);
      case CLOCK_SKEW -> Failure.of(ErrorReason.CLOCK_SKEW, context);
      // The arbiter does not say which side of the window; our copy of the event usually can. A
      // stamp inside it refused after the end: the arbiter let the finished event go. Otherwise
      // "not started" is the likelier truth: the arbiter has not opened it yet.
      case EVENT_NOT_OPEN -> spec.flatMap(s -> windowFailure(s, ticket.stampMicros()).map(Failure::reason)
              .or(() -> refusedAfterItsEnd(s, ticket.stampMicros(), nowMicros) ? Optional.of(ErrorReason.EVENT_ENDED) : Optional.empty()))
          .map(reason -> Failure.of(reason, context))
          .orElse(Failure.of(ErrorReason.EVENT_NOT_STARTED, context));
    };
  }
}
