package flashsale.store;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The stock pools of CENTRAL and SHARDED events in one store: regions buy from the event's one
 * CENTRAL pool, first come first served there, or from their own shard ({@link ShardStore}), and
 * any node reads what a pool decided. {@code RedisPoolStore} in production, {@code
 * InMemoryPoolStore} in one process; both pass the same contract suite. Every call is atomic at
 * the store, so no pool sells a unit twice.
 */
public interface PoolStore extends ShardStore {

  /**
   * CENTRAL: decides the purchase now. A request decided before gets that decision again ({@link
   * BuyReply.Decided#retry()}; the caller checks it is the same purchase); a user past the per-user
   * limit loses; otherwise it wins if the pool holds its quantity (all or nothing) and loses with
   * SOLD_OUT (pool empty) or INSUFFICIENT_STOCK. Never {@link BuyReply.Short}. The pool starts with
   * the spec's whole stock. Completes exceptionally with {@link PoolLostException} when the store
   * lost the pool after this store (or another node) saw it: it is never started again.
   */
  CompletableFuture<BuyReply> buyCentral(EventSpec spec, Ticket ticket);

  /**
   * Opens the event's CENTRAL pool at the spec's whole stock, before any region sells: from then
   * on a node that finds it missing knows the store lost it ({@link EventSpec#poolsOpenedAtCreation}).
   * Opening a pool that is open with the same units changes nothing. Completes exceptionally with
   * {@link PoolExistsException} when it is open with other units, and {@link PoolLostException}
   * when it is marked lost.
   */
  CompletableFuture<Void> openCentral(EventSpec spec);

  /** The decision the event's CENTRAL pool holds for {@code requestId}; empty when it decided none. */
  CompletableFuture<Optional<Decision>> findCentralDecision(String eventId, String requestId);

  /** What the event's CENTRAL pool decided so far; an untouched pool holds {@code initialUnits}. */
  CompletableFuture<PoolCounters> centralCounters(String eventId, long initialUnits);

  /**
   * What the event's CENTRAL pool decided so far. Completes exceptionally with {@link
   * PoolLostException} when the pool is missing though the spec says it was opened at creation.
   */
  default CompletableFuture<PoolCounters> centralCounters(EventSpec spec) {
    return centralCounters(spec.eventId(), spec.stock());
  }

  /**
   * The CENTRAL pool's decisions ranked {@code afterRank + 1 .. afterRank + limit}, in rank order
   * (the order of arrival at the pool); empty when {@code limit <= 0}.
   *
   * @throws IllegalArgumentException when {@code afterRank < 0}
   */
  CompletableFuture<List<Decision>> listCentralDecisions(String eventId, long afterRank, int limit);
}
