package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Redis {@code WAIT} after a write, or before telling what a read found: it counts once the
 * {@link ReplicaAcks} number of replicas of the primary hold it. Redis answers a write before
 * replicating it, so a primary that dies after answering takes the write with it when a replica is
 * promoted; a decision told from such a write could be decided again, differently.
 *
 * <p>A small write of our own (a barrier) goes first, on the connection that carries writes to the
 * slot, and {@code WAIT} counts from it: everything the primary held before it, whoever wrote it,
 * is covered. That holds only if the barrier reached the same server as the write or read it
 * vouches for, so a {@link Mark} taken before the call records the server's address and the
 * client's channel count: a slot that moved, or any connection opened meanwhile (lettuce resends
 * an unanswered command over a new connection, which may reach a promoted replica that never had
 * the write), fails the wait, and the caller retries the whole call.
 *
 * <p>{@code WAIT} blocks the connection it is sent on until it returns: every command of this
 * store to that primary waits behind it, so told writes go at most one primary→replica round trip
 * at a time per primary; with the replicas gone, each waits up to the timeout. Nothing told is then
 * lost; the sale stalls instead, which is the point of asking for acknowledgements.
 */
final class ReplicaWait {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final RedisConnection<byte[]> connection;
  private final ReplicaAcks acks;
  private final byte[] writer;

  /** Where and when a call was issued: the server for its key's slot, and the channels opened so far. */
  record Mark(String routingKey, String address, long channelsOpened) {}

  ReplicaWait(RedisConnection<byte[]> connection, ReplicaAcks acks, String writer) {
    this.connection = connection;
    this.acks = acks;
    this.writer = writer.getBytes(UTF_8);
  }

  boolean waits() {
    return acks.waits();
  }

  /** Taken right before issuing a call whose result {@link #replicated(Mark)} will vouch for; null when nothing is waited for. */
  Mark mark(String routingKey) {
    if (!acks.waits()) return null;
    return new Mark(routingKey, connection.writerAddress(routingKey), connection.channelsOpened());
  }

  /** The call's reply once the replicas hold what it wrote or read (right away when none are asked for). */
  <T> CompletableFuture<T> after(String routingKey, Supplier<CompletableFuture<T>> call) {
    if (!acks.waits()) return call.get();
    Mark mark = mark(routingKey);
    return call.get().thenCompose(reply -> replicated(mark).thenApply(done -> reply));
  }

  /**
   * Completes when enough replicas hold everything the primary of the mark's slot held when the
   * barrier reached it; fails with {@link StoreNotReplicatedException} when fewer did within the
   * timeout, or when the barrier may have reached another server than the marked call.
   */
  CompletableFuture<Void> replicated(Mark mark) {
    if (mark == null) return DONE;
    String barrier = barrierKey(SlotTags.slotOf(mark.routingKey()));
    if (mark.address() == null || !mark.address().equals(connection.writerAddress(barrier))) return moved(mark);
    return connection.onServer(mark.address(), node -> {
      CompletableFuture<String> marked = node.set(barrier, writer).toCompletableFuture();
      CompletableFuture<Long> acked = node.waitForReplication(acks.replicas(), acks.timeout().toMillis())
          .toCompletableFuture();
      return marked.thenCombine(acked, (ok, replicas) -> replicas);
    }).thenCompose(replicas -> {
      if (connection.channelsOpened() != mark.channelsOpened()) return moved(mark);
      if (replicas < acks.replicas()) {
        return CompletableFuture.failedFuture(new StoreNotReplicatedException("on the Redis primary, but " + replicas
            + " of the " + acks.replicas() + " replicas asked for acknowledged it within " + acks.timeout().toMillis()
            + " ms; not told, retried", acks.replicas(), replicas));
      }
      return DONE;
    });
  }

  private CompletableFuture<Void> moved(Mark mark) {
    return CompletableFuture.failedFuture(new StoreNotReplicatedException("the connection to the Redis primary of "
        + mark.routingKey() + " changed (was " + mark.address() + ") between the call and its replica wait; not told, "
        + "retried", acks.replicas(), 0));
  }

  /** One small key per slot, in the slot's own tag, that each wait overwrites. */
  static String barrierKey(int slot) {
    return "fs:{" + SlotTags.of(slot) + "}:replicated";
  }
}
