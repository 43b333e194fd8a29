package flashsale.system.faults;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One arbiter node as a real OS process ({@code arbiter-node.jar}, built by the reactor before
 * this module's tests), so faults are real: SIGKILL, SIGSTOP/SIGCONT. Output goes to
 * {@code target/fault-logs/<node>.log}.
 */
final class ArbiterProcess implements AutoCloseable {
  /** Lease and timeout settings of every test cluster (see the report for the defaults). */
  static final long LEASE_TTL_MS = 1_000;
  static final long LEASE_RENEW_MS = 250;
  static final long REGION_TIMEOUT_MS = 3_000;

  final String nodeId;
  final int port;
  private final String redisUri;
  private Process process;

  ArbiterProcess(String nodeId, String redisUri) throws IOException {
    this.nodeId = nodeId;
    this.redisUri = redisUri;
    try (ServerSocket probe = new ServerSocket(0)) {
      this.port = probe.getLocalPort();
    }
  }

  static Path jar() {
    Path root = Path.of("").toAbsolutePath();
    if (!Files.exists(root.resolve("arbiter-node"))) root = root.getParent();
    Path jar = root.resolve("arbiter-node/target/arbiter-node.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build it first (./mvnw -pl arbiter-node -am package -DskipTests,"
          + " or run ./mvnw verify, which packages it before system-tests run)");
    }
    return jar;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  ArbiterProcess start() throws IOException {
    Path logs = Path.of("target", "fault-logs");
    Files.createDirectories(logs);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(List.of(java, "-jar", jar().toString(), "--node-id", nodeId, "--port", Integer.toString(port),
            "--redis", redisUri, "--advertise", address(), "--lease-ttl-ms", Long.toString(LEASE_TTL_MS),
            "--lease-renew-ms", Long.toString(LEASE_RENEW_MS), "--region-timeout-ms", Long.toString(REGION_TIMEOUT_MS)))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(nodeId + ".log").toFile()))
        .start();
    return this;
  }

  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  private void signal(String signal) throws IOException, InterruptedException {
    int exit = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
    if (exit != 0) throw new IllegalStateException("kill " + signal + " " + process.pid() + " exited " + exit);
  }

  @Override
  public void close() throws InterruptedException {
    if (process == null) return;
    if (process.isAlive()) {
      try {
        resume();
      } catch (IOException | RuntimeException ignored) {
        // already gone
      }
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) kill();
  }
}
