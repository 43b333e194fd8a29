package flashsale.store.redis;

import flashsale.sale.Decision;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an {@link EventLedger} from one Redis snapshot and audits it: the counters the persist
 * function keeps must agree with the decisions themselves, or a new leader would rebuild from a
 * corrupt state.
 */
final class LedgerReader {
  private LedgerReader() {}

  /**
   * @throws IllegalStateException when remaining stock, last rank or a user's units disagree
   *     with the stored decisions
   */
  static EventLedger read(
      String eventId, Map<String, String> meta, Map<String, String> users, List<Decision> decisions) {
    EventSpec spec = EventCodec.spec(meta);
    long remaining = Long.parseLong(meta.get(EventCodec.REMAINING));
    long lastRank = Long.parseLong(meta.get(EventCodec.LAST_RANK));
    Map<String, Long> unitsWonByUser = new HashMap<>();
    users.forEach((user, units) -> unitsWonByUser.put(user, Long.parseLong(units)));

    Map<String, Long> unitsFromDecisions = new HashMap<>();
    long unitsWon = 0;
    for (int i = 0; i < decisions.size(); i++) {
      Decision d = decisions.get(i);
      if (d.rank() != i + 1) fail(eventId, "decision at log index " + i + " has rank " + d.rank());
      if (d.won()) {
        unitsFromDecisions.merge(d.ticket().userId(), (long) d.unitsWon(), Long::sum);
        unitsWon += d.unitsWon();
      }
    }
    if (lastRank != decisions.size()) {
      fail(eventId, "last rank " + lastRank + " but " + decisions.size() + " decisions");
    }
    if (remaining != spec.stock() - unitsWon) {
      fail(eventId, "remaining " + remaining + " but stock " + spec.stock() + " minus units won " + unitsWon);
    }
    if (!unitsFromDecisions.equals(unitsWonByUser)) {
      fail(eventId, "users hash " + unitsWonByUser + " disagrees with decisions " + unitsFromDecisions);
    }
    return new EventLedger(spec, remaining, unitsWonByUser, decisions);
  }

  private static void fail(String eventId, String problem) {
    throw new IllegalStateException("event " + eventId + ": corrupt ledger: " + problem);
  }
}
