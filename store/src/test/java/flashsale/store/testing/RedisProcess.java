package flashsale.store.testing;

import flashsale.net.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code redis-server} child process on a free local port with its own temporary directory.
 * Restarts reuse port and directory, so an append-only file written before a kill is replayed.
 */
final class RedisProcess implements RedisServer.Backend {
  private static final Logger log = LoggerFactory.getLogger(RedisProcess.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);
  private static final int PORT_ATTEMPTS = 3;

  private final Path binary;
  private final Path dir;
  private final int port;
  private final boolean appendOnly;
  private final List<String> extraArgs;
  private final Thread killOnExit;
  private Process process;

  private RedisProcess(Path binary, Path dir, int port, boolean appendOnly, List<String> extraArgs) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.appendOnly = appendOnly;
    this.extraArgs = List.copyOf(extraArgs);
    // A test JVM that dies without close() must not leave servers behind.
    this.killOnExit = new Thread(this::kill, "redis-" + port + "-reaper");
  }

  /** Null when no redis-server binary is installed. */
  static Path findBinary() {
    String path = System.getenv().getOrDefault("PATH", "");
    List<Path> candidates = new ArrayList<>();
    for (String entry : path.split(java.io.File.pathSeparator)) {
      if (!entry.isEmpty()) candidates.add(Path.of(entry, "redis-server"));
    }
    candidates.add(Path.of("/usr/bin/redis-server"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  static RedisProcess start(Path binary, boolean appendOnly) {
    return start(binary, appendOnly, List.of());
  }

  /** With {@code extraArgs} appended to the command line (e.g. cluster mode). */
  static RedisProcess start(Path binary, boolean appendOnly, List<String> extraArgs) {
    IllegalStateException lastFailure = null;
    // The free port may be taken between probing and binding; another port then usually works.
    for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      RedisProcess server = new RedisProcess(binary, tempDir(), freePort(), appendOnly, extraArgs);
      try {
        server.launch();
        Runtime.getRuntime().addShutdownHook(server.killOnExit);
        return server;
      } catch (IllegalStateException e) {
        lastFailure = e;
        server.kill();
        server.deleteDir();
      }
    }
    throw lastFailure;
  }

  private void launch() {
    List<String> command = new ArrayList<>(List.of(
        binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
        "--daemonize", "no"));
    command.addAll(persistenceArgs(appendOnly));
    command.addAll(extraArgs);
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + binary, e);
    }
    RespProbe.awaitPong("127.0.0.1", port, STARTUP_TIMEOUT, this::requireAlive);
    log.info("redis-server up port={} pid={} appendOnly={} dir={}", port, process.pid(), appendOnly, dir);
  }

  /** No snapshots ever; with {@code appendOnly}, every write fsynced before Redis acknowledges it. */
  static List<String> persistenceArgs(boolean appendOnly) {
    List<String> args = new ArrayList<>(List.of("--save", ""));
    args.addAll(appendOnly ? List.of("--appendonly", "yes", "--appendfsync", "always") : List.of("--appendonly", "no"));
    return args;
  }

  private void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "redis-server exited with " + process.exitValue() + " on port " + port + "; log:\n" + readLog());
    }
  }

  @Override
  public String host() {
    return "127.0.0.1";
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public void stop() {
    if (process == null || !process.isAlive()) return;
    process.destroy(); // SIGTERM: Redis flushes its append-only file and exits
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  @Override
  public void kill() {
    if (process == null) return;
    process.destroyForcibly(); // SIGKILL on Unix: no chance to flush anything
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends a signal (e.g. {@code STOP}, {@code CONT}) to the server process. */
  void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
      if (kill.waitFor() != 0) throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void restart() {
    stop();
    launch();
  }

  @Override
  public void close() {
    stop();
    deleteDir();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException | IllegalArgumentException alreadyExitingOrNeverAdded) {
      // nothing to undo
    }
  }

  private Path logFile() {
    return dir.resolve("redis.log");
  }

  private String readLog() {
    try {
      return Files.readString(logFile());
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private void deleteDir() {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("cannot delete redis dir={}: {}", dir, e.toString());
    }
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("flashsale-redis-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int freePort() {
    try {
      return FreePorts.pick();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
