package flashsale.arbiter.grpc;

import flashsale.arbiter.core.NotLeaderException;
import flashsale.sale.ErrorReason;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreNotReplicatedException;
import flashsale.wire.Errors;
import io.grpc.StatusRuntimeException;
import io.lettuce.core.RedisException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Turns what can go wrong behind an admin or lookup call into the status a client can act on:
 * a store outage is UNAVAILABLE (retry), a lost leadership (or an event a newer leader claimed) is NOT_LEADER, a stopping node is
 * SHUTTING_DOWN; never a bare UNKNOWN.
 */
final class Failures {
  private Failures() {}

  static StatusRuntimeException toStatus(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof StatusRuntimeException status) return status;
    if (t instanceof RedisException) {
      return Errors.error(ErrorReason.STORE_UNAVAILABLE, "the arbiter's store is unreachable, retry: " + t.getMessage());
    }
    if (t instanceof StoreNotReplicatedException) {
      return Errors.error(ErrorReason.STORE_UNAVAILABLE, "the arbiter's store did not replicate the write in time, retry: "
          + t.getMessage());
    }
    if (t instanceof RejectedExecutionException) return Errors.error(ErrorReason.SHUTTING_DOWN, "arbiter is stopping");
    if (t instanceof flashsale.arbiter.events.EventCatalog.PoolsNotOpenedException notOpened) {
      // The event is stored but not on sale: its pools could not be opened (see EventCatalog).
      return notOpened.unopenable() ? Errors.error(ErrorReason.MODE_NOT_SUPPORTED, t.getMessage())
          : Errors.error(ErrorReason.STORE_UNAVAILABLE, t.getMessage() + "; retry");
    }
    if (t instanceof flashsale.store.PoolLostException) return Errors.error(ErrorReason.POOL_LOST, t.getMessage());
    if (t instanceof flashsale.store.PoolExistsException) {
      return Errors.error(ErrorReason.MODE_NOT_SUPPORTED, "the event is stored but not on sale, its pool cannot be"
          + " opened: " + t.getMessage());
    }
    if (t instanceof NotLeaderException || t instanceof StoreFencedException) { // fenced: a newer leader holds the event
      return Errors.error(ErrorReason.NOT_LEADER, "this arbiter stopped leading; retry to reach the new leader");
    }
    return io.grpc.Status.INTERNAL.withDescription("arbiter failed: " + t).withCause(t).asRuntimeException();
  }
}
