package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A Redis Function library kept as a resource: loads it under a name that carries a hash of its
 * source (so processes with different builds never replace each other's code) on every master,
 * and calls its functions. Functions live per server, so on a cluster the library is loaded on
 * every master at start, again whenever lettuce sees the topology change (a master added or
 * replaced), and, should a call still find the function missing (FUNCTION FLUSH, a restart without
 * persistence, a master promoted before the refresh), on every master before that call is retried once.
 */
public final class FunctionLibrary {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FunctionLibrary.class);
  private final RedisConnection<byte[]> redis;
  private final String code;
  private final String version;
  private final String source;

  public FunctionLibrary(RedisConnection<byte[]> redis, Class<?> owner, String source) {
    this.redis = redis;
    this.source = source;
    String template = read(owner, source);
    this.version = HexFormat.of().formatHex(sha1(template), 0, 6);
    this.code = template.replace("%VERSION%", version);
    redis.onTopologyChange(() -> loadAsync().whenComplete((ok, failure) -> {
      if (failure != null) LOG.warn("reloading library after a topology change failed source={}: {}", source, failure.toString());
      else LOG.info("library loaded on every master after a topology change source={} masters={}", source, ok.size());
    }));
  }

  /** The versioned name of a function the library registers as {@code <prefix>_%VERSION%}. */
  public String function(String prefix) {
    return prefix + "_" + version;
  }

  /**
   * A server that has no Redis Functions (before 7.0): no retry will help, unlike a refused load
   * (a server still loading its data, out of memory, a replica, a timeout).
   */
  public static final class FunctionsUnsupportedException extends IllegalStateException {
    FunctionsUnsupportedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Loads the library now, so a server without Functions (before 7.0) fails at startup with a
   * {@link FunctionsUnsupportedException}; any other failure is an {@link IllegalStateException}.
   */
  public void load() {
    try {
      loadAsync().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof CompletionException && cause.getCause() != null) cause = cause.getCause();
      if (isUnknownCommand(cause)) {
        throw new FunctionsUnsupportedException("cannot load Redis Function library " + source
            + ": the server has no FUNCTION command (Redis 7.0+ required)", cause);
      }
      throw new IllegalStateException("cannot load Redis Function library " + source + ": " + cause, cause);
    }
  }

  private static boolean isUnknownCommand(Throwable failure) {
    return failure instanceof RedisCommandExecutionException
        && String.valueOf(failure.getMessage()).toLowerCase(java.util.Locale.ROOT).startsWith("err unknown command");
  }

  /** Calls {@code function} on the master of its first key's slot. */
  public <T> CompletableFuture<T> call(String function, ScriptOutputType type, String[] keys, byte[]... args) {
    return callOn(redis.async(), function, type, keys, args);
  }

  /**
   * Calls {@code function} once: a missing library fails the call instead of being loaded and the
   * call sent again, for a write that must never land after a later one of its writer.
   */
  public <T> CompletableFuture<T> callOnce(String function, ScriptOutputType type, String[] keys, byte[]... args) {
    return redis.async().<T>fcall(function, type, keys, args).toCompletableFuture();
  }

  /** Calls {@code function} through {@code server} (e.g. one master's own connection). */
  public <T> CompletableFuture<T> callOn(RedisClusterAsyncCommands<String, byte[]> server, String function,
      ScriptOutputType type, String[] keys, byte[]... args) {
    return server.<T>fcall(function, type, keys, args).toCompletableFuture().exceptionallyCompose(failure -> {
      if (!isFunctionMissing(failure)) return CompletableFuture.failedFuture(failure);
      LOG.warn("function missing on server, reloading library source={} function={}", source, function);
      return redis.refreshTopology().thenCompose(fresh -> loadAsync())
          .thenCompose(ok -> server.<T>fcall(function, type, keys, args).toCompletableFuture());
    });
  }

  /** Loads (replacing the same version) on every master; completes with each master's reply. */
  private CompletableFuture<List<String>> loadAsync() {
    return redis.onEveryMaster(master -> master.functionLoad(code, true));
  }

  private static boolean isFunctionMissing(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    return cause instanceof RedisCommandExecutionException && String.valueOf(cause.getMessage()).contains("Function not found");
  }

  private static String read(Class<?> owner, String source) {
    try (InputStream in = owner.getResourceAsStream(source)) {
      if (in == null) throw new IllegalStateException("resource " + source + " missing beside " + owner.getName());
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
