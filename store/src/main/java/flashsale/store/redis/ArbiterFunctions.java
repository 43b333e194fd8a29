package flashsale.store.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.CompletableFuture;

/**
 * The arbiter's Redis Function library {@code arbiter.lua} and the versioned names of its
 * functions (loading and reloading are {@link FunctionLibrary}'s). Functions are persisted and
 * replicated with the data.
 */
final class ArbiterFunctions {
  private static final String SOURCE = "arbiter.lua";

  private final FunctionLibrary library;
  final String createEvent;
  final String persistBatch;
  final String fenceEvent;
  final String persistAuctionClose;
  final String decisionsRange;
  final String liveMembers;
  final String putOrderTerms;
  final String createEventWithTerms;
  final String persistOrders;
  final String recordRegionNode;
  final String forgetRegionNode;
  final String takeToken;

  ArbiterFunctions(RedisConnection<byte[]> redis) {
    this.library = new FunctionLibrary(redis, ArbiterFunctions.class, SOURCE);
    this.createEvent = library.function("fs_create_event");
    this.persistBatch = library.function("fs_persist_batch");
    this.fenceEvent = library.function("fs_fence_event");
    this.persistAuctionClose = library.function("fs_persist_auction_close");
    this.decisionsRange = library.function("fs_decisions_range");
    this.liveMembers = library.function("fs_live_members");
    this.putOrderTerms = library.function("fs_put_order_terms");
    this.createEventWithTerms = library.function("fs_create_event_with_terms");
    this.persistOrders = library.function("fs_persist_orders");
    this.recordRegionNode = library.function("fs_record_region_node");
    this.forgetRegionNode = library.function("fs_forget_region_node");
    this.takeToken = library.function("fs_take_token");
  }

  /** Loads the library now, so that a server without Functions (before 7.0) fails at startup. */
  void load() {
    library.load();
  }

  <T> CompletableFuture<T> call(String function, ScriptOutputType type, String[] keys, byte[]... args) {
    return library.call(function, type, keys, args);
  }

  <T> CompletableFuture<T> callOnce(String function, ScriptOutputType type, String[] keys, byte[]... args) {
    return library.callOnce(function, type, keys, args);
  }

  <T> CompletableFuture<T> callOn(RedisClusterAsyncCommands<String, byte[]> server, String function,
      ScriptOutputType type, byte[]... args) {
    return library.callOn(server, function, type, new String[0], args);
  }
}
