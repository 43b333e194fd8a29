package flashsale.store;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The SHARDED pools of events in one store: a region sells from its own shard, and the arbiter
 * moves stock between shards with the transfer steps. {@code RedisPoolStore} (the store module)
 * in production, {@code InMemoryShardStore} in one process and the simulation; both pass the same
 * contract suite.
 */
public interface ShardStore extends AutoCloseable {

  /**
   * Buys from the ticket's region's shard: a request decided before gets that decision again
   * ({@link BuyReply.Decided#retry()}); a user past the per-user limit loses; otherwise it wins if
   * the shard holds its quantity. A shard that holds less answers {@link BuyReply.Short}, unless
   * {@code decideShort}, which decides it lost (SOLD_OUT when empty). Completes exceptionally with
   * {@link PoolLostException} when the store lost the shard after it was seen.
   *
   * <p>A short purchase marks its stamp as waiting at the shard (the earliest such stays the mark),
   * and a later-stamped purchase is {@link BuyReply.Short} too, whatever the shard holds, until
   * {@link #buyHeld} moves the mark: units that land go to the region's held purchases in their
   * order, never to a purchase that reached the store before the region heard an earlier one was short.
   */
  CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort);

  /**
   * The oldest purchase its region holds for stock, retried: as {@link #buyShard} without deciding
   * short, but it may take the shard's units though purchases wait. Once it is decided, {@code
   * nextWaitingMicros} (the stamp of the next purchase the region holds; {@code -1} for none) becomes
   * the shard's waiting mark; while it is still short, it marks its own stamp.
   */
  CompletableFuture<BuyReply> buyHeld(EventSpec spec, Ticket ticket, long nextWaitingMicros);

  /**
   * {@code region} holds no purchase for its shard's stock any more (their holds ran out, or they
   * were decided without a unit): the shard's waiting mark goes, so first tries buy again without
   * a held purchase's retry to move it (which waits on the arbiter's answer to a report).
   */
  CompletableFuture<Void> clearWaiting(EventSpec spec, String region);

  /**
   * As {@link #buyShard}, but sells no unit: a request decided before gets that decision again, a
   * user past the per-user limit loses (stored); anything else is {@link BuyReply.Short} and writes
   * nothing. For a purchase that must not overtake earlier ones waiting for stock.
   */
  CompletableFuture<BuyReply> decideWithoutStock(EventSpec spec, Ticket ticket);

  /**
   * Opens {@code region}'s shard of the event at its units from the spec, before the event is
   * stored; otherwise as {@link PoolStore#openCentral}.
   */
  CompletableFuture<Void> openShard(EventSpec spec, String region);

  /** The decision {@code region}'s shard of the event holds for {@code requestId}; empty when it decided none. */
  CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region, String requestId);

  /** What {@code region}'s shard of the event decided so far; an untouched shard holds {@code initialUnits}. */
  CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits);

  /** What {@code region}'s shard of the event decided so far; see {@link PoolStore#centralCounters(EventSpec)}. */
  default CompletableFuture<PoolCounters> shardCounters(EventSpec spec, String region) {
    return shardCounters(spec.eventId(), region, spec.shardUnitsOf(region));
  }

  /**
   * Another node saw {@code region}'s shard of the event exist (its region's purchases were
   * answered from it): should this store later find it gone, the store lost it, and it is marked
   * lost rather than started again at its full units. A no-op for a store that cannot lose data.
   */
  default void sawShard(String eventId, String region) {}

  /** {@code region}'s shard of {@code spec} as the transfer steps drive it (blocking calls). */
  ShardBackend shard(EventSpec spec, String region);

  @Override
  void close();
}
