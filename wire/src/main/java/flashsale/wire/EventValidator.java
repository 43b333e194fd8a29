package flashsale.wire;

import flashsale.sale.ErrorReason;
import flashsale.sale.Identifiers;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import java.util.HashSet;

/** Checks a {@link Event} from a CreateEvent call; every problem is an INVALID_FIELD error. */
public final class EventValidator {
  public static final int MAX_REGIONS = 64;
  public static final long MAX_STOCK = 1_000_000_000L;

  private EventValidator() {}

  /**
   * {@link #validate}, plus the rules only a new event must meet: an event stored before them (or
   * sent by an arbiter of an earlier build) still passes {@link #validate} where it is read.
   */
  public static void validateNew(Event e) {
    validate(e);
    AuctionFields.validateNew(e);
  }

  public static void validate(Event e) {
    requireId("event.event_id", e.getEventId());
    if (e.getItem().isBlank() || e.getItem().length() > 256) {
      throw invalid("event.item", "must be 1 to 256 characters");
    }
    SlotRules.validate(e);
    if (!SlotRules.isReservation(e) && !AuctionFields.isAuction(e) && (e.getStock() < 1 || e.getStock() > MAX_STOCK)) {
      throw invalid("event.stock", "must be between 1 and " + MAX_STOCK + ", got " + e.getStock());
    }
    if (!e.hasStartTime()) throw invalid("event.start_time", "is required");
    if (!e.hasEndTime()) throw invalid("event.end_time", "is required");
    requireValidTime("event.start_time", e.getStartTime());
    requireValidTime("event.end_time", e.getEndTime());
    if (Times.micros(e.getEndTime()) <= Times.micros(e.getStartTime())) {
      throw invalid("event.end_time", "must be after start_time");
    }
    if (!AuctionFields.isAuction(e) && e.getPerUserLimit() < 1) { // a new auction's is refused by validateNew
      throw invalid("event.per_user_limit", "must be at least 1, got " + e.getPerUserLimit());
    }
    if (e.getRegionsCount() == 0 || e.getRegionsCount() > MAX_REGIONS) {
      throw invalid("event.regions", "must list 1 to " + MAX_REGIONS + " regions");
    }
    var seen = new HashSet<String>();
    for (String region : e.getRegionsList()) {
      requireRegion("event.regions", region);
      if (!seen.add(region)) throw invalid("event.regions", "lists " + region + " twice");
    }
    if (e.getMode() == EventMode.EVENT_MODE_UNSPECIFIED || e.getMode() == EventMode.UNRECOGNIZED) {
      throw invalid("event.mode", "is required (EVENT_MODE_GLOBAL_ORDER, EVENT_MODE_SHARDED or EVENT_MODE_CENTRAL)");
    }
    ShardSplit.validate(e);
  }

  /** protobuf's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
  private static void requireValidTime(String field, com.google.protobuf.Timestamp t) {
    if (t.getSeconds() < -62_135_596_800L || t.getSeconds() > 253_402_300_799L || t.getNanos() < 0 || t.getNanos() > 999_999_999) {
      throw invalid(field, "must be a timestamp between years 0001 and 9999");
    }
  }

  public static void requireId(String field, String value) {
    if (!Identifiers.ID.matcher(value).matches()) {
      throw invalid(field, "must be 1 to 64 of [A-Za-z0-9._:-], got '" + abbreviate(value) + "'");
    }
  }

  public static void requireRegion(String field, String value) {
    if (!Identifiers.REGION.matcher(value).matches()) {
      throw invalid(field, "must be 1 to 64 of [A-Za-z0-9._-], got '" + abbreviate(value) + "'");
    }
  }

  public static void requireRequestId(String field, String value) {
    if (!Identifiers.REQUEST_ID.matcher(value).matches()) {
      throw invalid(field, "must be 1 to 128 printable ASCII characters without spaces");
    }
  }

  public static io.grpc.StatusRuntimeException invalid(String field, String problem) {
    return Errors.error(
        ErrorReason.INVALID_FIELD, field + " " + problem, java.util.Map.of("field", field));
  }

  private static String abbreviate(String s) {
    return s.length() <= 70 ? s : s.substring(0, 67) + "...";
  }
}
