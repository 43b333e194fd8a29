package flashsale.client.bench;

import flashsale.client.cluster.LocalRedis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away {@code redis-server} processes for a benchmark: one plain server, or the masters of a
 * Redis Cluster joined by {@code redis-cli --cluster create --cluster-replicas 0} (slots split
 * 0-5460, 5461-10922, 10923-16383 for three). Nothing is saved to disk (no RDB, no AOF), so Redis
 * CPU is command work. The processes are children of this JVM, so their CPU time can be read.
 */
final class BenchRedis implements AutoCloseable {
  private static final long FORM_TIMEOUT_MILLIS = 30_000;
  private final List<LocalRedis> servers = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final boolean cluster;

  private BenchRedis(boolean cluster) {
    this.cluster = cluster;
  }

  /** One plain redis-server, or {@code masters} cluster masters when {@code cluster}. */
  static BenchRedis start(int masters, boolean cluster, Path dir) throws IOException, InterruptedException {
    if (masters < 1 || (!cluster && masters != 1)) throw new IllegalArgumentException("plain Redis is one server, got " + masters);
    var redis = new BenchRedis(cluster);
    try {
      for (int i = 0; i < masters; i++) redis.launch(dir.resolve("redis-" + (i + 1)));
      if (cluster) redis.formCluster();
      return redis;
    } catch (IOException | InterruptedException | RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  private void launch(Path dir) throws IOException, InterruptedException {
    LocalRedis server = LocalRedis.start(dir, cluster
        ? List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
        : List.of());
    servers.add(server);
    ports.add(server.port());
  }

  private void formCluster() throws IOException, InterruptedException {
    List<String> create = new ArrayList<>(List.of("--cluster", "create"));
    ports.forEach(p -> create.add("127.0.0.1:" + p));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    cli(create);
    long deadline = System.currentTimeMillis() + FORM_TIMEOUT_MILLIS;
    while (true) {
      boolean ok = true;
      for (int port : ports) {
        String info = cli(List.of("-p", Integer.toString(port), "cluster", "info"));
        ok &= info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + ports.size());
      }
      if (ok) return;
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("redis cluster not ok within 30 s");
      Thread.sleep(100);
    }
  }

  private static String cli(List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1"));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
    return out;
  }

  /** What the arbiters are given: {@code redis://host:port} or {@code redis-cluster://} with every master as a seed. */
  String uri() {
    if (!cluster) return "redis://127.0.0.1:" + ports.get(0);
    return "redis-cluster://" + String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
  }

  List<Process> processes() {
    return servers.stream().map(LocalRedis::process).toList();
  }

  @Override
  public void close() {
    servers.forEach(LocalRedis::close);
  }
}
