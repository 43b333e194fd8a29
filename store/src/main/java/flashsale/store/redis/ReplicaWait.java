package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import java.util.ArrayList;
import java.util.List;
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
 * store to that primary waits behind it. One round is in flight per primary, and every call that
 * asks meanwhile shares the next: a round trip to the replica per round, not per write. With the
 * replicas gone, each round waits the timeout. Nothing told is then lost; the sale stalls
 * instead, which is the point of asking for acknowledgements.
 */
final class ReplicaWait {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final RedisConnection<byte[]> connection;
  private final ReplicaAcks acks;
  private final byte[] writer;
  private final java.util.concurrent.ConcurrentMap<String, Rounds> rounds = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong waitsSent = new java.util.concurrent.atomic.AtomicLong();

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
   * Completes when enough replicas hold everything the primary of the mark's slot held when a
   * barrier sent after this call reached it; fails with {@link StoreNotReplicatedException} when
   * fewer did within the timeout, or when that barrier may have reached another server than the
   * marked call. Waits share rounds: one barrier and {@code WAIT} per primary in flight at a time,
   * and the next covers every call that asked meanwhile (group commit), so told writes are not
   * held to one replica round trip each.
   */
  CompletableFuture<Void> replicated(Mark mark) {
    if (mark == null) return DONE;
    String barrier = barrierKey(SlotTags.slotOf(mark.routingKey()));
    if (mark.address() == null || !mark.address().equals(connection.writerAddress(barrier))) return moved(mark);
    Rounds server = rounds.computeIfAbsent(mark.address(), Rounds::new);
    Waiter waiter = new Waiter(mark, new CompletableFuture<>());
    boolean send;
    synchronized (server) {
      server.next.add(waiter);
      send = !server.inFlight;
      server.inFlight = true;
    }
    if (send) sendRound(server);
    return waiter.done();
  }

  /** Sends one barrier and {@code WAIT} for every waiter asked so far; then the next round, if any asked meanwhile. */
  private void sendRound(Rounds server) {
    List<Waiter> round;
    synchronized (server) {
      round = server.next;
      server.next = new ArrayList<>();
    }
    String barrier = barrierKey(SlotTags.slotOf(round.get(0).mark().routingKey()));
    waitsSent.incrementAndGet();
    connection.onServer(server.address, node -> {
      CompletableFuture<String> marked = node.set(barrier, writer).toCompletableFuture();
      CompletableFuture<Long> acked = node.waitForReplication(acks.replicas(), acks.timeout().toMillis())
          .toCompletableFuture();
      return marked.thenCombine(acked, (ok, replicas) -> replicas);
    }).whenComplete((replicas, error) -> {
      long channels = connection.channelsOpened();
      for (Waiter w : round) {
        if (error != null) {
          w.done().completeExceptionally(error);
        } else if (channels != w.mark().channelsOpened()) {
          w.done().completeExceptionally(movedFailure(w.mark()));
        } else if (replicas < acks.replicas()) {
          w.done().completeExceptionally(new StoreNotReplicatedException("on the Redis primary, but " + replicas
              + " of the " + acks.replicas() + " replicas asked for acknowledged it within " + acks.timeout().toMillis()
              + " ms; not told, retried", acks.replicas(), replicas));
        } else {
          w.done().complete(null);
        }
      }
      synchronized (server) {
        if (server.next.isEmpty()) {
          server.inFlight = false;
          return;
        }
      }
      sendRound(server);
    });
  }

  /** How many barrier-and-{@code WAIT} rounds were sent (for tests). */
  long waitsSent() {
    return waitsSent.get();
  }

  /** One primary's waiters: those of the round in flight are held by it; {@code next} wait for the next one. */
  private static final class Rounds {
    private final String address;
    private List<Waiter> next = new ArrayList<>();
    private boolean inFlight;

    Rounds(String address) {
      this.address = address;
    }
  }

  private record Waiter(Mark mark, CompletableFuture<Void> done) {}

  private CompletableFuture<Void> moved(Mark mark) {
    return CompletableFuture.failedFuture(movedFailure(mark));
  }

  private StoreNotReplicatedException movedFailure(Mark mark) {
    return new StoreNotReplicatedException("the connection to the Redis primary of " + mark.routingKey()
        + " changed (was " + mark.address() + ") between the call and its replica wait; not told, retried",
        acks.replicas(), 0);
  }


  /** One small key per slot, in the slot's own tag, that each wait overwrites. */
  static String barrierKey(int slot) {
    return "fs:{" + SlotTags.of(slot) + "}:replicated";
  }
}
