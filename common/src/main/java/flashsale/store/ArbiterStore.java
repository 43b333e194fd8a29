package flashsale.store;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The arbiter's durable state. Every method is safe to call from any thread. Redis keys are
 * hash-tagged by event ({@code fs:{eventId}:...}) so the same scripts run on Redis Cluster.
 */
public interface ArbiterStore extends AutoCloseable {

  /**
   * Creates an event, idempotent by {@code requestId}: a retry with the same id returns the event
   * stored first.
   *
   * @throws EventExistsException when the event id exists and was created by another request id
   */
  EventSpec createEvent(String requestId, EventSpec spec);

  Optional<EventSpec> findEvent(String eventId);

  /** All events, in no particular order. */
  List<EventSpec> listEvents();

  /**
   * Atomically (one server-side script call) stores the batch's decisions, deducts the winners'
   * units from stock, adds them to the users' counts and appends each winner to the outbox.
   * Applying the same batch twice is a no-op that completes normally (a retry after a timeout).
   * Completes exceptionally with {@link StoreRejectedException} when the batch would oversell,
   * break the per-user limit, skip ranks or rank a request id that is already decided; nothing is
   * written then.
   */
  CompletableFuture<Void> persistBatch(DecisionBatch batch);

  /**
   * The event's full ledger, for a leader that rebuilds its state.
   *
   * @throws EventNotFoundException when the event does not exist
   */
  EventLedger loadLedger(String eventId);

  Optional<Decision> findDecision(String eventId, String requestId);

  /** Decisions with rank {@code > afterRank}, in rank order, at most {@code limit}. */
  List<Decision> listDecisions(String eventId, long afterRank, int limit);

  /** Winners handed to the downstream order service, in the order they were appended. */
  List<Decision> readOutbox(String eventId);

  @Override
  void close();
}
