package flashsale.store.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A Redis primary with one replica ({@code --replicaof}), both {@code redis-server} processes on
 * free ports without persistence: what a replica holds is all that survives the primary. The
 * replica can be frozen (SIGSTOP) so replication lags, cut off, and promoted once the primary is killed.
 */
public final class RedisReplicated implements AutoCloseable {
  private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(15);

  private final RedisProcess primary;
  private final RedisProcess replica;

  private RedisReplicated(RedisProcess primary, RedisProcess replica) {
    this.primary = primary;
    this.replica = replica;
  }

  public static RedisReplicated start() {
    Path binary = RedisProcess.findBinary();
    if (binary == null) throw new IllegalStateException("replication tests need redis-server (apt-get install redis-server)");
    // A diskless full sync waits 5 s (repl-diskless-sync-delay) for more replicas; with the delay at 0 a
    // first WAIT right after the sync came up short now and then (3 runs in 4). Through a file: neither.
    RedisProcess primary = RedisProcess.start(binary, false, List.of("--repl-diskless-sync", "no"));
    RedisProcess replica = null;
    try {
      replica = RedisProcess.start(binary, false, List.of("--replicaof", primary.host(), Integer.toString(primary.port())));
      RedisReplicated pair = new RedisReplicated(primary, replica);
      pair.awaitLinked();
      return pair;
    } catch (RuntimeException e) {
      if (replica != null) replica.close();
      primary.close();
      throw e;
    }
  }

  public String primaryUri() {
    return "redis://" + primary.host() + ":" + primary.port();
  }

  public String replicaUri() {
    return "redis://" + replica.host() + ":" + replica.port();
  }

  /** SIGSTOP: the replica takes nothing more from the primary until {@link #thawReplica()}. */
  public void freezeReplica() {
    replica.signal("STOP");
  }

  /**
   * Freezes the replica and has the primary drop its link, so writes from now on reach neither the
   * replica nor its socket's buffer (a frozen process's kernel still takes bytes, which it applies
   * once thawed): the primary's writes stay on the primary alone.
   */
  public void cutReplica() {
    freezeReplica();
    send(primary, "CLIENT KILL TYPE replica", ":1");
  }

  /** Drops every client connection of the primary (not the replica's link); lettuce reconnects by itself. */
  public void dropPrimaryClients() {
    send(primary, "CLIENT KILL TYPE normal", ":");
  }

  public void thawReplica() {
    replica.signal("CONT");
  }

  /** SIGKILL of the primary, then (the replica thawed) {@code REPLICAOF NO ONE}: the replica serves what it had. */
  public void failOver() {
    primary.kill();
    replica.signal("CONT");
    send(replica, "REPLICAOF NO ONE", "+OK");
  }

  /** Sends {@code command} to {@code server}; a reply not starting with {@code expected} fails. */
  private static void send(RedisProcess server, String command, String expected) {
    try {
      String reply = RespProbe.command(server.host(), server.port(), command);
      if (!reply.startsWith(expected)) throw new IllegalStateException(command + " answered " + reply);
    } catch (IOException e) {
      throw new IllegalStateException(command + " to port " + server.port() + " failed", e);
    }
  }

  /** Waits until the primary counts its replica online. */
  private void awaitLinked() {
    long deadline = System.nanoTime() + SYNC_TIMEOUT.toNanos();
    String info = "";
    while (System.nanoTime() < deadline) {
      try {
        info = RespProbe.bulk(primary.host(), primary.port(), "INFO replication");
        if (info.contains("connected_slaves:1") && info.contains("state=online")) return;
        Thread.sleep(50);
      } catch (IOException e) {
        info = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("the replica did not come online in " + SYNC_TIMEOUT + ": " + info);
  }

  @Override
  public void close() {
    try {
      replica.signal("CONT");
    } catch (RuntimeException ignored) {
      // already gone
    }
    replica.close();
    primary.close();
  }
}
