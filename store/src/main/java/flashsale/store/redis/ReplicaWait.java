package flashsale.store.redis;

import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redis {@code WAIT} after a write, or before telling what a read found: it counts once the
 * {@link ReplicaAcks} number of replicas of the primary hold it. Redis answers a write before
 * replicating it, so a primary that dies after answering takes the write with it when a replica is
 * promoted; a decision told from such a write could be decided again, differently.
 *
 * <p>A small write of our own (a barrier, in the call's own slot) goes first, on the connection
 * that carries writes to the slot's primary, and {@code WAIT} counts from it: everything the
 * primary held before it, whoever wrote it, is covered. That holds only if the barrier reached the
 * same server as the call it vouches for, so a {@link Mark} taken before the call records the
 * server's address and the client's channel count: a slot that moved (the barrier is refused with
 * {@code MOVED}), or any connection opened meanwhile (lettuce resends an unanswered command over a
 * new connection, which may reach a promoted replica that never had the write), fails the wait,
 * and the caller retries the whole call. The store's connection follows no redirect while waits
 * are on ({@link RedisConnection#open(String, io.lettuce.core.codec.RedisCodec, java.time.Duration,
 * boolean, boolean)}), so a call ran where its mark says.
 *
 * <p>{@code WAIT} blocks the connection it is sent on until it returns: every command of this
 * store to that primary waits behind it. One round is in flight per primary, and every call that
 * asks meanwhile shares the next: a round trip to the replica per round, not per write. With the
 * replicas gone, each round waits the timeout. Nothing told is then lost; the sale stalls
 * instead, which is the point of asking for acknowledgements.
 */
public final class ReplicaWait<V> {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private static final Pattern CONNECTED_REPLICAS = Pattern.compile("connected_slaves:(\\d+)");

  private final RedisConnection<V> connection;
  private final ReplicaAcks acks;
  private final V writer;
  private final ConcurrentMap<String, Rounds> rounds = new ConcurrentHashMap<>();
  private final AtomicLong waitsSent = new AtomicLong();

  /** Where and when a call was issued: the server for its key's slot, and the channels opened so far. */
  public record Mark(String routingKey, String address, long channelsOpened) {}

  /**
   * Waits on {@code connection}, which must be opened with pinned routing while {@code acks} waits;
   * {@code writer} (this writer's id, in the connection's value type) is what the barriers hold.
   */
  public ReplicaWait(RedisConnection<V> connection, ReplicaAcks acks, V writer) {
    this.connection = connection;
    this.acks = acks;
    this.writer = writer;
  }

  /** Taken right before issuing a call whose result {@link #replicated(Mark)} will vouch for; null when nothing is waited for. */
  public Mark mark(String routingKey) {
    if (!acks.waits()) return null;
    return new Mark(routingKey, connection.writerAddress(routingKey), connection.channelsOpened());
  }

  /** The call's reply once the replicas hold what it wrote or read (right away when none are asked for). */
  public <T> CompletableFuture<T> after(String routingKey, Supplier<CompletableFuture<T>> call) {
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
  public CompletableFuture<Void> replicated(Mark mark) {
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
    if (send) sendRounds(server);
    // A safety net only: every round settles its waiters, whatever happens to it.
    long limitMs = 4 * acks.timeout().toMillis() + 10_000;
    return waiter.done().orTimeout(limitMs, TimeUnit.MILLISECONDS).exceptionallyCompose(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return CompletableFuture.failedFuture(cause instanceof TimeoutException
          ? new StoreNotReplicatedException("no replica wait answered within " + limitMs + " ms; not told, retried",
              acks.replicas(), 0)
          : cause);
    });
  }

  /**
   * Sends a round for every waiter asked so far: a barrier per slot among them, then one {@code
   * WAIT}, pipelined on the primary's connection; once it is answered, the next round if any asked
   * meanwhile. A round that fails at once (a closed connection) is settled and followed in a loop,
   * not by recursion.
   */
  private void sendRounds(Rounds server) {
    while (true) {
      List<Waiter> round;
      synchronized (server) {
        round = server.next;
        server.next = new ArrayList<>();
      }
      waitsSent.incrementAndGet();
      CompletableFuture<RoundReply> reply;
      try {
        reply = barriersAndWait(server.address, round);
      } catch (RuntimeException e) {
        reply = CompletableFuture.failedFuture(e);
      }
      boolean answeredAtOnce = reply.isDone();
      reply.whenComplete((answer, error) -> {
        settle(round, answer, error);
        if (!answeredAtOnce && moreAsked(server)) sendRounds(server);
      });
      if (!answeredAtOnce || !moreAsked(server)) return;
    }
  }

  /** Barriers in each waiter's own slot (a server that no longer holds one refuses it), then one WAIT. */
  private CompletableFuture<RoundReply> barriersAndWait(String address, List<Waiter> round) {
    return connection.onServer(address, node -> {
      Map<Integer, CompletableFuture<String>> barriers = new HashMap<>();
      for (Waiter w : round) {
        barriers.computeIfAbsent(SlotTags.slotOf(w.mark().routingKey()),
            slot -> node.set(barrierKey(slot), writer).toCompletableFuture());
      }
      return node.waitForReplication(acks.replicas(), acks.timeout().toMillis()).toCompletableFuture()
          .thenApply(replicas -> new RoundReply(barriers, replicas));
    });
  }

  /** Completes every waiter of a round, whatever went wrong; never throws. */
  private void settle(List<Waiter> round, RoundReply reply, Throwable error) {
    long channels = connection.channelsOpened();
    for (Waiter w : round) {
      try {
        if (reply == null) {
          w.done().completeExceptionally(error != null ? error : new IllegalStateException("replica wait lost"));
          continue;
        }
        CompletableFuture<String> barrier = reply.barriers().get(SlotTags.slotOf(w.mark().routingKey()));
        if (barrier == null || !barrier.isDone() || barrier.isCompletedExceptionally()
            || channels != w.mark().channelsOpened()) {
          w.done().completeExceptionally(movedFailure(w.mark()));
        } else if (reply.replicas() < acks.replicas()) {
          w.done().completeExceptionally(new StoreNotReplicatedException("on the Redis primary, but " + reply.replicas()
              + " of the " + acks.replicas() + " replicas asked for acknowledged it within " + acks.timeout().toMillis()
              + " ms; not told, retried", acks.replicas(), reply.replicas()));
        } else {
          w.done().complete(null);
        }
      } catch (RuntimeException e) {
        w.done().completeExceptionally(e);
      }
    }
  }

  /** True to send the next round (some waiter asked meanwhile); else the primary has no round in flight. */
  private static boolean moreAsked(Rounds server) {
    synchronized (server) {
      if (!server.next.isEmpty()) return true;
      server.inFlight = false;
      return false;
    }
  }

  private record RoundReply(Map<Integer, CompletableFuture<String>> barriers, long replicas) {}

  /**
   * Why told writes will stall right now, or null: a primary with fewer connected replicas than
   * asked for (read from {@code INFO replication} on every primary). Replicas may connect later,
   * so this is said at start, not enforced.
   */
  public String replicaShortfall() {
    if (!acks.waits()) return null;
    List<String> infos;
    try {
      infos = connection.onEveryMaster(node -> node.info("replication")).join();
    } catch (RuntimeException e) { // e.g. an ACL user without INFO: the waits still work
      return "could not count the Redis primaries' replicas (INFO replication: " + e.getMessage() + ")";
    }
    List<String> shortOf = new ArrayList<>();
    for (String info : infos) {
      Matcher m = CONNECTED_REPLICAS.matcher(info);
      int connected = m.find() ? Integer.parseInt(m.group(1)) : 0;
      if (connected < acks.replicas()) shortOf.add(connected + " connected");
    }
    if (shortOf.isEmpty()) return null;
    return shortOf.size() + " of " + infos.size() + " Redis primaries have fewer replicas than the " + acks.replicas()
        + " asked for (" + String.join(", ", shortOf) + "): every told write waits and is retried until they connect";
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
