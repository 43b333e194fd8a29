package flashsale.wire;

import flashsale.sale.ErrorReason;
import flashsale.v1.AuctionSettings;
import flashsale.v1.Event;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import java.util.Map;

/**
 * An auction's settings as a CreateEvent call gives them: only GLOBAL_ORDER judges bids fairly
 * across regions; the stock field, if set, must be the units auctioned; bids have no per-user limit,
 * so a new auction's per_user_limit must be unset (one stored before may have one: it is ignored).
 */
final class AuctionFields {
  private static final String FIELD = "event.auction";
  private static final long MAX_SPAN_MICROS = 7L * 24 * 3600 * 1_000_000; // a week of soft close at most

  private AuctionFields() {}

  static boolean isAuction(Event e) {
    return e.getKind() == EventKind.EVENT_KIND_AUCTION;
  }

  /** INVALID_FIELD for malformed settings; FAILED_PRECONDITION MODE_NOT_SUPPORTED outside GLOBAL_ORDER. */
  static void validate(Event e) {
    if (!isAuction(e)) {
      if (e.hasAuction()) throw EventValidator.invalid(FIELD, "is only for EVENT_KIND_AUCTION");
      return;
    }
    if (!e.hasAuction()) throw EventValidator.invalid(FIELD, "is required for EVENT_KIND_AUCTION");
    AuctionSettings a = e.getAuction();
    if (a.getUnits() < 1 || a.getUnits() > EventValidator.MAX_STOCK) {
      throw EventValidator.invalid(FIELD + ".units", "must be between 1 and " + EventValidator.MAX_STOCK + ", got " + a.getUnits());
    }
    if (e.getStock() != 0 && e.getStock() != a.getUnits()) {
      throw EventValidator.invalid("event.stock", "must be 0 or the auction's units " + a.getUnits() + ", got " + e.getStock());
    }
    long max = flashsale.sale.AuctionRules.MAX_AMOUNT_MINOR;
    if (a.getReservePriceMinor() < 1 || a.getReservePriceMinor() > max) {
      throw EventValidator.invalid(FIELD + ".reserve_price_minor", "must be between 1 and " + max + ", got " + a.getReservePriceMinor());
    }
    if (a.getMinIncrementMinor() < 1 || a.getMinIncrementMinor() > max) {
      throw EventValidator.invalid(FIELD + ".min_increment_minor", "must be between 1 and " + max + ", got " + a.getMinIncrementMinor());
    }
    if (!a.getCurrencyCode().matches("[A-Z]{3}")) {
      throw EventValidator.invalid(FIELD + ".currency_code", "must be an ISO 4217 code such as EUR");
    }
    long window = spanMicros(FIELD + ".soft_close_window", a.getSoftCloseWindow());
    long cap = spanMicros(FIELD + ".soft_close_cap", a.getSoftCloseCap());
    if (window == 0 && cap != 0) throw EventValidator.invalid(FIELD + ".soft_close_cap", "needs a soft_close_window");
    if (window != 0 && cap == 0) { // else the window would be accepted and silently never move the close
      throw EventValidator.invalid(FIELD + ".soft_close_cap",
          "is required: a soft_close_window needs a cap, as the close moves to end_time + cap at most");
    }
    if (e.getMode() == EventMode.EVENT_MODE_SHARDED || e.getMode() == EventMode.EVENT_MODE_CENTRAL) {
      throw Errors.error(ErrorReason.MODE_NOT_SUPPORTED, "auctions are judged in EVENT_MODE_GLOBAL_ORDER only; "
          + e.getMode() + " cannot order bids fairly across regions", Map.of("mode", e.getMode().name(), "kind", e.getKind().name()));
    }
  }

  /**
   * What only a new auction must meet (CreateEvent): one stored before these rules still passes
   * {@link #validate} where it is read, as a region does with what the arbiter sends.
   */
  static void validateNew(Event e) {
    if (!isAuction(e)) return;
    int maxUnits = flashsale.sale.AuctionRules.MAX_UNITS;
    if (e.getAuction().getUnits() > maxUnits) {
      // Every standing bid is in each update and reply: more would outgrow gRPC's 4 MiB message limit.
      throw EventValidator.invalid(FIELD + ".units", "must be between 1 and " + maxUnits + ", got "
          + e.getAuction().getUnits() + " (every standing bid is sent whole in each GetEvent, WatchAuction and region update)");
    }
    if (e.getPerUserLimit() != 0) { // it would read as enforced: one user may win every unit
      throw EventValidator.invalid("event.per_user_limit",
          "must be unset (0) for an auction: bids have no per-user limit, got " + e.getPerUserLimit());
    }
  }

  private static long spanMicros(String field, com.google.protobuf.Duration d) {
    if (d.getSeconds() < 0 || d.getNanos() < 0 || d.getNanos() > 999_999_999 || d.getSeconds() > MAX_SPAN_MICROS / 1_000_000) {
      throw EventValidator.invalid(field, "must be between 0 and 7 days");
    }
    return Times.micros(d);
  }
}
