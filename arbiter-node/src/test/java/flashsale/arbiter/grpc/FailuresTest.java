package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.arbiter.core.NotLeaderException;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.lettuce.core.RedisConnectionException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** What a client sees for each failure behind an admin or lookup call: typed, never matched by message text. */
class FailuresTest {

  @Test
  void aLostLeadershipIsNotLeaderEvenWrappedInACompletion() {
    var status = Failures.toStatus(new CompletionException(new NotLeaderException("gone")));
    assertEquals(Status.Code.UNAVAILABLE, status.getStatus().getCode());
    assertEquals("NOT_LEADER", Errors.reasonOf(status).orElseThrow());
  }

  @Test
  void anIllegalStateThatMerelySaysSoIsInternal() {
    var status = Failures.toStatus(new IllegalStateException("this arbiter does not lead"));
    assertEquals(Status.Code.INTERNAL, status.getStatus().getCode());
  }

  @Test
  void storeOutageAndShutdownHaveTheirReasons() {
    assertEquals("STORE_UNAVAILABLE", Errors.reasonOf(Failures.toStatus(new RedisConnectionException("down"))).orElseThrow());
    assertEquals("SHUTTING_DOWN", Errors.reasonOf(Failures.toStatus(new RejectedExecutionException())).orElseThrow());
  }

  @Test
  void aWriteNoReplicaAcknowledgedIsAStoreOutageToRetry() {
    var status = Failures.toStatus(new CompletionException(
        new flashsale.store.StoreNotReplicatedException("0 of 1 replicas", 1, 0)));
    assertEquals(Status.Code.UNAVAILABLE, status.getStatus().getCode());
    assertEquals("STORE_UNAVAILABLE", Errors.reasonOf(status).orElseThrow());
  }
}
