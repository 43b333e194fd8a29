package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import java.util.concurrent.CompletableFuture;

/**
 * Redis {@code WAIT} after a write, on the connection that made it: the write counts as stored once
 * the {@link ReplicaAcks} number of replicas of its primary hold it. Redis answers a write before
 * replicating it, so a primary that dies after answering takes the write with it when a replica is
 * promoted; a decision told from such a write could be decided again, differently.
 *
 * <p>{@code WAIT} blocks the connection it is sent on until it returns: with the replicas gone, every
 * command of this store to that primary waits up to the timeout behind it. Nothing told is then
 * lost; the sale stalls instead, which is the point of asking for acknowledgements.
 */
final class ReplicaWait {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final RedisConnection<byte[]> connection;
  private final ReplicaAcks acks;
  private final byte[] writer;

  ReplicaWait(RedisConnection<byte[]> connection, ReplicaAcks acks, String writer) {
    this.connection = connection;
    this.acks = acks;
    this.writer = writer.getBytes(UTF_8);
  }

  ReplicaAcks acks() {
    return acks;
  }

  /** {@code write}'s reply once the replicas hold it (right away when none are asked for). */
  <T> CompletableFuture<T> after(String routingKey, CompletableFuture<T> write) {
    if (!acks.waits()) return write;
    return write.thenCompose(reply -> replicated(routingKey).thenApply(done -> reply));
  }

  /**
   * Completes when enough replicas hold every write this store has made to {@code routingKey}'s
   * slot so far; fails with {@link StoreNotReplicatedException} when fewer did within the timeout.
   */
  CompletableFuture<Void> replicated(String routingKey) {
    if (!acks.waits()) return DONE;
    String barrier = barrierKey(SlotTags.slotOf(routingKey));
    return connection.onWriterOf(barrier, node -> {
      // WAIT counts from this connection's last write. A retried write that changed nothing (its
      // batch already stored by an attempt on a connection since lost) would leave that attempt's
      // write uncovered, so a write of our own goes first, pipelined on the same connection.
      CompletableFuture<String> marked = node.set(barrier, writer).toCompletableFuture();
      CompletableFuture<Long> acked = node.waitForReplication(acks.replicas(), acks.timeout().toMillis())
          .toCompletableFuture();
      return marked.thenCombine(acked, (ok, replicas) -> replicas);
    }).thenApply(replicas -> {
      if (replicas < acks.replicas()) {
        throw new StoreNotReplicatedException("written on the Redis primary, but " + replicas + " of the "
            + acks.replicas() + " replicas asked for acknowledged it within " + acks.timeout().toMillis()
            + " ms; not told, retried", acks.replicas(), replicas);
      }
      return null;
    });
  }

  /** One small key per slot, in the slot's own tag, that each wait overwrites. */
  static String barrierKey(int slot) {
    return "fs:{" + SlotTags.of(slot) + "}:replicated";
  }
}
