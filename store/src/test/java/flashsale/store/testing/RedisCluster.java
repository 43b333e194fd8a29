package flashsale.store.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster for tests: three {@code redis-server} masters with {@code --cluster-enabled
 * yes} on free ports, joined by {@code redis-cli --cluster create --cluster-replicas 0}, so the slots
 * split 0-5460, 5461-10922, 10923-16383. Every write is fsynced to the append-only file and each
 * node keeps its {@code nodes.conf}, so a restarted master comes back with its slots and data. A
 * missing binary is a failure, never a skip.
 */
public final class RedisCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
  public static final int MASTERS = 3;
  private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);
  /** Short, so a test does not wait long on a node it stopped; other masters keep serving their slots. */
  private static final List<String> CLUSTER_ARGS = List.of("--cluster-enabled", "yes", "--cluster-config-file",
      "nodes.conf", "--cluster-node-timeout", "2000", "--cluster-require-full-coverage", "no");

  private final List<RedisProcess> masters;
  private final Path cli;

  private RedisCluster(List<RedisProcess> masters, Path cli) {
    this.masters = masters;
    this.cli = cli;
  }

  public static RedisCluster start() {
    Path server = RedisProcess.findBinary();
    Path cli = server == null ? null : server.resolveSibling("redis-cli");
    if (server == null || !Files.isExecutable(cli)) {
      throw new IllegalStateException("cluster tests need redis-server and redis-cli (apt-get install redis-server); found "
          + server + " and " + cli);
    }
    List<RedisProcess> masters = new ArrayList<>();
    RedisCluster cluster = new RedisCluster(masters, cli);
    try {
      for (int i = 0; i < MASTERS; i++) masters.add(RedisProcess.start(server, true, CLUSTER_ARGS));
      List<String> create = new ArrayList<>(List.of("--cluster", "create"));
      masters.forEach(m -> create.add(m.host() + ":" + m.port()));
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      cluster.cli(create);
      cluster.awaitState();
      log.info("redis cluster up uri={}", cluster.uri());
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code redis-cluster://} with every master as a seed. */
  public String uri() {
    return "redis-cluster://" + String.join(",", masters.stream().map(m -> m.host() + ":" + m.port()).toList());
  }

  /** Only the first master as the seed: the client must find the others itself. */
  public String uriOfOneSeed() {
    return "redis-cluster://" + masters.get(0).host() + ":" + masters.get(0).port();
  }

  /** {@code redis://} of master {@code index} alone (what a cluster-unaware client would be given). */
  public String masterUri(int index) {
    return "redis://" + masters.get(index).host() + ":" + masters.get(index).port();
  }

  /** The master serving {@code slot} as the cluster was created (slots split evenly in order; before any {@link #moveSlots}). */
  public static int masterOfSlot(int slot) {
    return slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
  }

  /** Stops master {@code index} (SIGTERM) and starts it again with its nodes.conf and append-only file; waits until the cluster is ok. */
  public void restart(int index) {
    masters.get(index).restart();
    awaitState();
  }

  /** SIGKILLs master {@code index}: its slots are down until {@link #start(int)}. */
  public void kill(int index) {
    masters.get(index).kill();
  }

  /** Starts a killed master again (same port, directory, node id) and waits until the cluster is ok. */
  public void start(int index) {
    masters.get(index).restart();
    awaitState();
  }

  /**
   * Starts one more master and joins it to the cluster, with no slots yet (see {@link #moveSlots});
   * returns its index.
   */
  public int addMaster() {
    RedisProcess added = RedisProcess.start(RedisProcess.findBinary(), true, CLUSTER_ARGS);
    masters.add(added);
    cli(List.of("--cluster", "add-node", added.host() + ":" + added.port(), masters.get(0).host() + ":" + masters.get(0).port()));
    awaitState();
    return masters.size() - 1;
  }

  /** Moves {@code count} slots, with their keys, from master {@code from} to master {@code to} ({@code redis-cli --cluster reshard}). */
  public void moveSlots(int from, int to, int count) {
    cli(List.of("--cluster", "reshard", masters.get(from).host() + ":" + masters.get(from).port(),
        "--cluster-from", nodeId(from), "--cluster-to", nodeId(to), "--cluster-slots", Integer.toString(count),
        "--cluster-yes"));
    awaitState();
  }

  private String nodeId(int index) {
    return cliOn(index, "cluster", "myid").strip();
  }

  /** FLUSHALL on every master; loaded functions stay. */
  public void flushAll() {
    for (RedisProcess m : masters) {
      try {
        String reply = RespProbe.command(m.host(), m.port(), "FLUSHALL");
        if (!reply.equals("+OK")) throw new IllegalStateException("FLUSHALL answered " + reply + " on " + m.port());
      } catch (IOException e) {
        throw new IllegalStateException("FLUSHALL failed on port " + m.port(), e);
      }
    }
  }

  /** Runs {@code redis-cli -p <master index> args...} and returns its output. */
  public String cliOn(int index, String... args) {
    List<String> command = new ArrayList<>(List.of("-h", masters.get(index).host(), "-p", Integer.toString(masters.get(index).port())));
    command.addAll(List.of(args));
    return cli(command);
  }

  private String cli(List<String> args) {
    List<String> command = new ArrayList<>(List.of(cli.toString()));
    command.addAll(args);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
      if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cli, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running redis-cli", e);
    }
  }

  /** Waits until every master reports cluster_state:ok, knows every other and all slots are served. */
  private void awaitState() {
    long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      boolean ok = true;
      for (int i = 0; i < masters.size() && ok; i++) {
        last = cliOn(i, "cluster", "info");
        ok = last.contains("cluster_state:ok") && last.contains("cluster_known_nodes:" + masters.size())
            && last.contains("cluster_slots_ok:16384");
      }
      if (ok) return;
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for the cluster", e);
      }
    }
    throw new IllegalStateException("redis cluster not ok within " + FORM_TIMEOUT + "; last CLUSTER INFO:\n" + last);
  }

  @Override
  public void close() {
    masters.forEach(RedisProcess::close);
  }
}
