package flashsale.store;

import flashsale.sale.Identifiers;
import flashsale.sale.EventSpec;

/**
 * What every {@link ArbiterStore} requires of an event before storing it, so that the in-memory
 * and the Redis store accept exactly the same events.
 */
public final class StoreRules {
  private StoreRules() {}

  /**
   * Event ids go inside Redis hash tags and region ids into a comma-separated field, so both must
   * be plain ids (the same rule the API applies to them).
   *
   * @throws IllegalArgumentException when the event id or a region id is not a plain id
   */
  public static void requireStorable(EventSpec spec) {
    require(Identifiers.ID, "event id", spec.eventId(), "[A-Za-z0-9._:-]");
    for (String region : spec.regions()) require(Identifiers.REGION, "region id", region, "[A-Za-z0-9._-]");
  }

  /**
   * Refuses a create retry whose content differs from what its request id created: the same
   * request, except for the tie-break seed each attempt draws anew, and whether its pools were
   * opened at creation (a retry, by a later build, of a create an earlier build stored).
   *
   * @throws RequestIdReusedException when {@code wanted} is not the request that created {@code stored}
   */
  public static EventSpec sameRequestOrRefuse(String requestId, EventSpec stored, EventSpec wanted) {
    if (!stored.equals(wanted.withTieBreakSeed(stored.tieBreakSeed()).withPoolsOpenedAtCreation(stored.poolsOpenedAtCreation()))) {
      throw new RequestIdReusedException(stored.eventId(), "request id " + requestId + " created event "
          + stored.eventId() + " with other content; use a new request id for another event");
    }
    return stored;
  }

  private static void require(java.util.regex.Pattern shape, String what, String value, String characters) {
    if (!shape.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " '" + value + "' is not 1 to 64 of " + characters);
    }
  }
}
