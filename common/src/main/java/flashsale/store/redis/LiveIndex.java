package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the live-event index, which is one set per Redis Cluster slot ({@link EventKeys#liveIndex})
 * plus the single set of the older layout. Every slot's set is read, so a listing costs the same
 * 16,384 small reads whatever the history (pipelined, {@link #IN_FLIGHT} at a time), and each set
 * holds only its slot's live events, read in pages.
 */
final class LiveIndex {
  /** Reads in flight at once: enough to keep the pipe full, few enough to bound the client's queue. */
  static final int IN_FLIGHT = 2048;
  private static final ScanArgs PAGE = ScanArgs.Builder.limit(flashsale.store.ArbiterStore.PAGE);

  private final RedisClusterAsyncCommands<String, byte[]> redis;

  LiveIndex(RedisClusterAsyncCommands<String, byte[]> redis) {
    this.redis = redis;
  }

  /** The ids of every live event, each once, in no particular order. */
  Set<String> ids() {
    Set<String> ids = new LinkedHashSet<>();
    members(EventKeys.LEGACY_LIVE_INDEX).join().forEach(ids::add);
    for (int from = 0; from < SlotTags.SLOTS; from += IN_FLIGHT) {
      List<CompletableFuture<List<String>>> sets = new ArrayList<>();
      for (int slot = from; slot < Math.min(SlotTags.SLOTS, from + IN_FLIGHT); slot++) {
        sets.add(members(EventKeys.liveIndex(slot)));
      }
      sets.forEach(set -> ids.addAll(set.join()));
    }
    return ids;
  }

  private CompletableFuture<List<String>> members(String key) {
    return redis.sscan(key, PAGE).toCompletableFuture().thenCompose(first -> rest(key, first, new ArrayList<>()));
  }

  private CompletableFuture<List<String>> rest(String key, ValueScanCursor<byte[]> page, List<String> into) {
    for (byte[] id : page.getValues()) into.add(new String(id, UTF_8));
    if (page.isFinished()) return CompletableFuture.completedFuture(into);
    return redis.sscan(key, page, PAGE).toCompletableFuture().thenCompose(next -> rest(key, next, into));
  }
}
