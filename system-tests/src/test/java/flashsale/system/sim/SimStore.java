package flashsale.system.sim;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The contract-tested {@link InMemoryArbiterStore} behind a simulated connection: a batch write
 * reaches the store after a delay and its reply comes back after another, and either leg may be
 * lost (the caller sees a timeout; a lost reply means the write did happen). Everything else
 * passes straight through. The oracle sees every write the store accepted.
 */
final class SimStore implements ArbiterStore {
  private final InMemoryArbiterStore store = new InMemoryArbiterStore();
  private final SimScheduler scheduler;
  private final Random random;
  private final SimOracle oracle;
  /** Out of 1000 writes, how many lose their request or their reply. */
  private final int lossPerMille;

  SimStore(SimScheduler scheduler, Random random, SimOracle oracle, int lossPerMille) {
    this.scheduler = scheduler;
    this.random = random;
    this.oracle = oracle;
    this.lossPerMille = lossPerMille;
  }

  @Override
  public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
    CompletableFuture<Void> reply = new CompletableFuture<>();
    long timeoutMicros = 5_000;
    if (random.nextInt(1000) < lossPerMille) {
      oracle.count("store requests lost");
      scheduler.after(timeoutMicros, () -> reply.completeExceptionally(new TimeoutException("store request lost")));
      return reply;
    }
    scheduler.after(50 + random.nextLong(1_500), () -> {
      CompletableFuture<Void> written = store.persistBatch(batch, fencingEpoch);
      if (!written.isCompletedExceptionally()) oracle.persisted(batch);
      if (random.nextInt(1000) < lossPerMille) {
        oracle.count("store replies lost");
        scheduler.after(timeoutMicros, () -> reply.completeExceptionally(new TimeoutException("store reply lost")));
        return;
      }
      scheduler.after(50 + random.nextLong(1_500), () -> written.whenComplete((ok, e) -> {
        if (e == null) reply.complete(null);
        else reply.completeExceptionally(e);
      }));
    });
    return reply;
  }

  @Override
  public EventSpec createEvent(String requestId, EventSpec spec) {
    return store.createEvent(requestId, spec);
  }

  @Override
  public Optional<EventSpec> findEvent(String eventId) {
    return store.findEvent(eventId);
  }

  @Override
  public List<EventSpec> listLiveEvents() {
    return store.listLiveEvents();
  }

  @Override
  public void finishEvent(String eventId) {
    store.finishEvent(eventId);
  }

  @Override
  public void fenceEvent(String eventId, long fencingEpoch) {
    store.fenceEvent(eventId, fencingEpoch);
  }

  @Override
  public EventHead loadHead(String eventId) {
    return store.loadHead(eventId);
  }

  @Override
  public Optional<Decision> findDecision(String eventId, String requestId) {
    return store.findDecision(eventId, requestId);
  }

  @Override
  public List<Decision> listDecisions(String eventId, long afterRank, int limit) {
    return store.listDecisions(eventId, afterRank, limit);
  }

  @Override
  public List<Decision> readOutbox(String eventId) {
    return store.readOutbox(eventId);
  }

  @Override
  public void close() {}
}
