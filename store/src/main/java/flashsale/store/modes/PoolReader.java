package flashsale.store.modes;

import static flashsale.store.modes.RedisPoolStore.bytes;
import static flashsale.store.modes.RedisPoolStore.text;

import flashsale.sale.Decision;
import flashsale.store.PoolCounters;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Read-only view of one kind of pool (the CENTRAL pool, or one region's shards) in a
 * {@link RedisPoolStore}: a purchase's stored decision, the pool's counters and, for the central
 * pool, its decision log by rank. Nothing here changes a pool, so any node may read while regions
 * sell; with replica acknowledgements each read writes a barrier key first (see {@code ReplicaWait}),
 * so it must reach a primary, not a read-only replica.
 */
final class PoolReader {
  private final RedisPoolStore store;
  private final Function<String, PoolKeys> keysOf;

  PoolReader(RedisPoolStore store, Function<String, PoolKeys> keysOf) {
    this.store = store;
    this.keysOf = keysOf;
  }

  /** The decision stored for {@code requestId}; empty when this pool never decided it. */
  CompletableFuture<Optional<Decision>> findDecision(String eventId, String requestId) {
    return store.hget(keysOf.apply(eventId).decisions(), requestId)
        .thenApply(b -> Optional.ofNullable(b).map(v -> DecisionText.parse(eventId, requestId, text(v))));
  }

  /**
   * The pool's counters; a pool nobody bought from yet still holds {@code initialUnits}, unless it
   * was opened at its event's creation (then a missing pool is a lost one).
   *
   * @param initialUnits the units the event's spec gives this pool
   */
  CompletableFuture<PoolCounters> counters(String eventId, long initialUnits, boolean openedAtCreation) {
    String pool = keysOf.apply(eventId).state();
    CompletableFuture<List<Object>> reply = store.call("fs_modes_counters", ScriptOutputType.MULTI, new String[] {pool});
    return reply.thenApply(r -> {
      store.requireNotLost(pool, r.get(0), r.get(5), r.get(6), openedAtCreation);
      return new PoolCounters(r.get(1) == null ? initialUnits : number(r.get(1)), number(r.get(2)), number(r.get(3)),
          number(r.get(4)));
    });
  }

  /**
   * Decisions ranked {@code afterRank + 1 .. afterRank + limit}, in rank order (the order of
   * arrival at the pool). Only the central pool keeps this log; a shard's is always empty.
   */
  CompletableFuture<List<Decision>> listDecisions(String eventId, long afterRank, int limit) {
    if (afterRank < 0) throw new IllegalArgumentException("afterRank < 0: " + afterRank);
    if (limit <= 0) return CompletableFuture.completedFuture(List.of());
    PoolKeys keys = keysOf.apply(eventId);
    CompletableFuture<List<Object>> reply = store.call("fs_modes_page",
        ScriptOutputType.MULTI, new String[] {keys.log(), keys.decisions()}, bytes(afterRank), bytes(limit));
    return reply.thenApply(flat -> {
      List<Decision> page = new ArrayList<>(flat.size() / 2);
      for (int i = 0; i + 1 < flat.size(); i += 2) {
        page.add(DecisionText.parse(eventId, text(flat.get(i)), text(flat.get(i + 1))));
      }
      return page;
    });
  }

  private static long number(Object bulk) {
    return bulk == null ? 0 : Long.parseLong(text(bulk));
  }
}
