package flashsale.store.redis;

import flashsale.store.EventExistsException;
import flashsale.store.EventNotFoundException;
import flashsale.store.StoreDivergedException;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRejectedException;
import io.lettuce.core.RedisCommandExecutionException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns the error replies of {@code arbiter.lua} (whose first word is a code: REJECTED, DIVERGED,
 * NOEVENT, EXISTS, FENCED) into the store's exceptions; anything else passes through unchanged.
 */
final class RedisErrors {
  private RedisErrors() {}

  static RuntimeException translate(String eventId, Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof RedisCommandExecutionException e && e.getMessage() != null) {
      String message = e.getMessage();
      String context = "event " + eventId + ": ";
      if (message.startsWith("REJECTED ")) return new StoreRejectedException(context + message.substring(9));
      if (message.startsWith("DIVERGED ")) return new StoreDivergedException(context + message.substring(9));
      if (message.startsWith("FENCED ")) return new StoreFencedException(message.substring(7), claimedEpoch(message));
      if (message.startsWith("NOEVENT ")) return new EventNotFoundException(message.substring(8));
      if (message.startsWith("EXISTS ")) {
        return new EventExistsException(context + message.substring(7), message.contains("records expired"));
      }
    }
    return cause instanceof RuntimeException r ? r : new IllegalStateException(context(eventId, cause), cause);
  }

  /** The number after "fencing epoch " in arbiter.lua's FENCED replies; 0 when absent. */
  private static long claimedEpoch(String message) {
    var m = java.util.regex.Pattern.compile("fencing epoch (\\d+)").matcher(message);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String context(String eventId, Throwable cause) {
    return "event " + eventId + ": Redis call failed: " + cause;
  }
}
