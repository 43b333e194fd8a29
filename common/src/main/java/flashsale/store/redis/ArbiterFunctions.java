package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis Function library {@code arbiter.lua}: loads it and calls its functions. Library and
 * function names carry a hash of the source, so builds with different code never overwrite each
 * other, and loading is idempotent. Functions are persisted and replicated with the data; should
 * the server still lack them (FUNCTION FLUSH, a restart without persistence) a call reloads the
 * library once and retries.
 */
final class ArbiterFunctions {
  private static final Logger log = LoggerFactory.getLogger(ArbiterFunctions.class);
  private static final String SOURCE = "arbiter.lua";

  private final RedisAsyncCommands<String, byte[]> redis;
  private final String libraryCode;
  final String createEvent;
  final String persistBatch;
  final String fenceEvent;
  final String decisionsRange;
  final String outboxDecisions;
  final String ledger;

  ArbiterFunctions(RedisAsyncCommands<String, byte[]> redis) {
    this.redis = redis;
    String template = readSource();
    String version = HexFormat.of().formatHex(sha1(template), 0, 6);
    this.libraryCode = template.replace("%VERSION%", version);
    this.createEvent = "fs_create_event_" + version;
    this.persistBatch = "fs_persist_batch_" + version;
    this.fenceEvent = "fs_fence_event_" + version;
    this.decisionsRange = "fs_decisions_range_" + version;
    this.outboxDecisions = "fs_outbox_decisions_" + version;
    this.ledger = "fs_ledger_" + version;
  }

  /** Loads the library now, so that a server without Functions (before 7.0) fails at startup. */
  void load() {
    try {
      loadAsync().join();
    } catch (CompletionException e) {
      throw new IllegalStateException(
          "cannot load Redis Function library " + SOURCE + " (Redis 7.0+ required)", e.getCause());
    }
  }

  <T> CompletableFuture<T> call(String function, ScriptOutputType type, String[] keys, byte[]... args) {
    CompletableFuture<T> first = redis.<T>fcall(function, type, keys, args).toCompletableFuture();
    return first.exceptionallyCompose(
        failure -> {
          if (!isFunctionMissing(failure)) return CompletableFuture.failedFuture(failure);
          log.warn("function missing on server, reloading library function={}", function);
          return loadAsync().thenCompose(ok -> redis.<T>fcall(function, type, keys, args).toCompletableFuture());
        });
  }

  private CompletableFuture<String> loadAsync() {
    return redis.functionLoad(libraryCode, true).toCompletableFuture();
  }

  private static boolean isFunctionMissing(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    return cause instanceof RedisCommandExecutionException
        && cause.getMessage() != null
        && cause.getMessage().contains("Function not found");
  }

  private static String readSource() {
    try (InputStream in = ArbiterFunctions.class.getResourceAsStream(SOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + SOURCE + " missing beside " + ArbiterFunctions.class.getName());
      }
      return new String(in.readAllBytes(), UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] sha1(String text) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(text.getBytes(UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JVM", e);
    }
  }
}
