package flashsale.store;

import flashsale.sale.Decision;
import java.util.Map;

/**
 * The store refused a batch because of what only it knows, writing nothing: some of its request
 * ids are already decided (a retry the leader no longer had in memory), or some winners would
 * exceed the per-user limit with units won in earlier terms. The leader re-decides the batch with
 * these facts: a duplicate gets its stored decision, an over-limit user loses.
 *
 * @param decided the stored decision of each request id in the batch that is already decided
 * @param unitsHeld for each user the batch would push over the limit, the units the store holds
 */
public final class StoreRefusedException extends RuntimeException {
  private final Map<String, Decision> decided;
  private final Map<String, Long> unitsHeld;

  public StoreRefusedException(String eventId, Map<String, Decision> decided, Map<String, Long> unitsHeld) {
    super("event " + eventId + ": batch refused: already decided " + decided.keySet() + ", users at their limit "
        + unitsHeld);
    if (decided.isEmpty() && unitsHeld.isEmpty()) throw new IllegalArgumentException("a refusal needs a reason");
    this.decided = Map.copyOf(decided);
    this.unitsHeld = Map.copyOf(unitsHeld);
  }

  public Map<String, Decision> decided() {
    return decided;
  }

  public Map<String, Long> unitsHeld() {
    return unitsHeld;
  }
}
