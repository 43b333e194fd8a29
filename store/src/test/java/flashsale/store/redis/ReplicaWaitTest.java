package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import flashsale.store.testing.RedisReplicated;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * A replica wait vouches only for calls made over the connection it is sent on: after a reconnect,
 * lettuce may have resent the call or the wait to another server (a promoted replica behind the
 * same address), so the wait fails and the caller retries the call.
 */
class ReplicaWaitTest {
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  @Test
  void aWaitAcrossAReconnectDoesNotVouchForTheCallBeforeIt() {
    try (RedisReplicated redis = RedisReplicated.start();
        RedisConnection<byte[]> connection = RedisConnection.open(redis.primaryUri(), CODEC, null, false)) {
      ReplicaWait<byte[]> wait = new ReplicaWait<>(connection, new ReplicaAcks(1, Duration.ofMillis(2_000)), "writer-1".getBytes(UTF_8));
      connection.async().ping().toCompletableFuture().join();

      ReplicaWait.Mark steady = wait.mark("fs:{e1}:meta");
      connection.async().set("fs:{e1}:meta", new byte[] {1}).toCompletableFuture().join();
      wait.replicated(steady).join(); // same connection throughout: vouched for

      ReplicaWait.Mark beforeReconnect = wait.mark("fs:{e1}:meta");
      connection.async().set("fs:{e1}:meta", new byte[] {2}).toCompletableFuture().join();
      redis.dropPrimaryClients();
      connection.async().ping().toCompletableFuture().join(); // lettuce has reconnected
      var failure = assertThrows(CompletionException.class, () -> wait.replicated(beforeReconnect).join());
      var refusal = assertInstanceOf(StoreNotReplicatedException.class, failure.getCause());
      assertTrue(refusal.getMessage().contains("changed"), refusal.getMessage());

      wait.replicated(wait.mark("fs:{e1}:meta")).join(); // a fresh mark on the new connection is vouched for again
    }
  }

  @Test
  void askingForMoreReplicasThanAreConnectedIsSaid() {
    try (RedisReplicated redis = RedisReplicated.start();
        RedisConnection<byte[]> connection = RedisConnection.open(redis.primaryUri(), CODEC, null, false)) {
      assertNull(new ReplicaWait<>(connection, new ReplicaAcks(1, Duration.ofMillis(300)), "w".getBytes(UTF_8)).replicaShortfall());
      String shortfall = new ReplicaWait<>(connection, new ReplicaAcks(2, Duration.ofMillis(300)), "w".getBytes(UTF_8)).replicaShortfall();
      assertTrue(shortfall != null && shortfall.contains("1 of 1 Redis primaries") && shortfall.contains("1 connected"),
          shortfall);
    }
  }

  @Test
  void waitsAskedWhileARoundIsOutShareTheNextRound() {
    try (RedisReplicated redis = RedisReplicated.start();
        RedisConnection<byte[]> connection = RedisConnection.open(redis.primaryUri(), CODEC, null, false)) {
      ReplicaWait<byte[]> wait = new ReplicaWait<>(connection, new ReplicaAcks(1, Duration.ofMillis(300)), "writer-1".getBytes(UTF_8));
      connection.async().ping().toCompletableFuture().join();
      redis.freezeReplica(); // every round lasts its whole 300 ms
      List<CompletableFuture<Void>> waits = new ArrayList<>();
      for (int event = 0; event < 50; event++) waits.add(wait.replicated(wait.mark("fs:{e" + event + "}:meta")));
      for (CompletableFuture<Void> w : waits) {
        var failure = assertThrows(CompletionException.class, w::join);
        assertInstanceOf(StoreNotReplicatedException.class, failure.getCause());
      }
      assertTrue(wait.waitsSent() <= 2, "50 waits asked at once took " + wait.waitsSent() + " rounds of WAIT");
    }
  }
}
