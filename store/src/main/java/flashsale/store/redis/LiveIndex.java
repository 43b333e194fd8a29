package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the live-event index, which is one set per Redis Cluster slot ({@link EventKeys#liveIndex})
 * plus the single set of the older layout. Every slot's set is read, so a listing costs the same
 * whatever the history: one function call per {@link #KEYS_PER_CALL} slots of one master (8 calls
 * on one server), all in flight at once. Each set holds only its slot's live events.
 */
final class LiveIndex {
  private static final Logger log = LoggerFactory.getLogger(LiveIndex.class);
  static final int KEYS_PER_CALL = 2048;
  private static final ScanArgs PAGE = ScanArgs.Builder.limit(flashsale.store.ArbiterStore.PAGE);

  private final RedisConnection<byte[]> connection;
  private final RedisClusterAsyncCommands<String, byte[]> redis;
  private final ArbiterFunctions functions;

  LiveIndex(RedisConnection<byte[]> connection, ArbiterFunctions functions) {
    this.connection = connection;
    this.redis = connection.async();
    this.functions = functions;
  }

  /** The ids of every live event, each once, in no particular order. */
  Set<String> ids() {
    Set<String> ids = new LinkedHashSet<>();
    members(EventKeys.LEGACY_LIVE_INDEX).join().forEach(ids::add);
    try {
      ids.addAll(slotIndexes());
    } catch (CompletionException e) {
      // A slot moved since the topology was read (MOVED / CROSSSLOT): read it again, once.
      log.warn("live index read failed, refreshing the topology and reading again: {}", e.getCause().toString());
      connection.refreshTopology().join();
      try {
        ids.addAll(slotIndexes());
      } catch (CompletionException again) {
        // A slot migrating (a reshard under way): its master refuses a function that touches the
        // slot's key, for as long as the reshard lasts. A command per slot follows it instead.
        log.warn("live index read failed again, reading each slot's set on its own: {}", again.getCause().toString());
        ids.addAll(slotBySlot());
      }
    }
    return ids;
  }

  /** How long {@link #slotBySlot} reads a slot that keeps failing (one slot migrates in milliseconds). */
  static final long SLOT_BY_SLOT_MS = 10_000;

  /**
   * Every slot's set by a command of its own, routed by its key (following {@code ASK} to where a
   * migrating slot is going, where the connection follows redirects); slots that fail are read
   * again, 50 ms apart, for at most {@link #SLOT_BY_SLOT_MS}.
   */
  private List<String> slotBySlot() {
    List<String> ids = new ArrayList<>();
    List<Integer> left = java.util.stream.IntStream.range(0, SlotTags.SLOTS).boxed().toList();
    long deadlineNanos = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(SLOT_BY_SLOT_MS);
    while (true) {
      List<CompletableFuture<java.util.Set<byte[]>>> reads = new ArrayList<>(left.size());
      for (int slot : left) reads.add(redis.smembers(EventKeys.liveIndex(slot)).toCompletableFuture());
      List<Integer> failed = new ArrayList<>();
      Throwable lastFailure = null;
      for (int i = 0; i < left.size(); i++) {
        try {
          for (byte[] id : reads.get(i).join()) ids.add(new String(id, UTF_8));
        } catch (CompletionException e) {
          failed.add(left.get(i));
          lastFailure = e.getCause();
        }
      }
      if (failed.isEmpty()) return ids;
      if (System.nanoTime() > deadlineNanos) {
        throw new CompletionException("live index: " + failed.size() + " slots unreadable for " + SLOT_BY_SLOT_MS
            + " ms, slot " + failed.get(0) + " last", lastFailure);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CompletionException(e);
      }
      left = failed;
    }
  }

  /** Each master reads the index keys of its own slots (named in ARGV: they span slots). */
  private List<String> slotIndexes() {
    List<List<Object>> perMaster = connection.onEveryMasterWithItsSlots(SlotTags.SLOTS, (master, slots) -> {
      List<CompletableFuture<List<Object>>> calls = new ArrayList<>();
      for (int from = 0; from < slots.size(); from += KEYS_PER_CALL) {
        byte[][] keys = slots.subList(from, Math.min(slots.size(), from + KEYS_PER_CALL)).stream()
            .map(slot -> EventKeys.liveIndex(slot).getBytes(UTF_8)).toArray(byte[][]::new);
        calls.add(functions.callOn(master, functions.liveMembers, ScriptOutputType.MULTI, keys));
      }
      return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
          .thenApply(done -> calls.stream().flatMap(call -> call.join().stream()).toList());
    }).join();
    List<String> ids = new ArrayList<>();
    for (List<Object> master : perMaster) for (Object id : master) ids.add(new String((byte[]) id, UTF_8));
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
