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
   * The fencing epoch of a writer that never claimed an event (a lone arbiter without a lease):
   * accepted only until some leader claims the event with {@link #fenceEvent}.
   */
  long UNFENCED = 0;

  /** {@link #persistBatch(DecisionBatch, long)} as a writer that holds no lease. */
  default CompletableFuture<Void> persistBatch(DecisionBatch batch) {
    return persistBatch(batch, UNFENCED);
  }

  /**
   * Atomically (one server-side script call) checks the writer's {@code fencingEpoch} and stores the batch's decisions, deducts the winners'
   * units from stock, adds them to the users' counts and appends each winner to the outbox.
   * Applying the same batch twice is a no-op that completes normally (a retry after a timeout).
   * Completes exceptionally with {@link StoreRejectedException} when the batch would oversell,
   * break the per-user limit, skip ranks or rank a request id that is already decided; nothing is
   * written then. Completes exceptionally with {@link StoreFencedException}, writing nothing,
   * when {@code fencingEpoch} is below the highest epoch that claimed or wrote the event; a
   * successful write under a higher epoch raises the event's epoch to it.
   */
  CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch);

  /**
   * Claims the event for the leader of {@code fencingEpoch}: from now on every batch under a lower
   * epoch is fenced, so a ledger loaded after this call is final for all earlier leaders.
   *
   * @throws StoreFencedException when a higher epoch already claimed the event
   * @throws EventNotFoundException when the event does not exist
   */
  void fenceEvent(String eventId, long fencingEpoch);

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
