package flashsale.client.cluster;

import flashsale.net.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away {@code redis-server} on a free loopback port, for the demo's CENTRAL and SHARDED
 * modes when the user gave no Redis. Keeps nothing on disk; stopped on {@link #close()}.
 */
public final class LocalRedis implements AutoCloseable {
  private final Process process;
  private final int port;

  private LocalRedis(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts one if a {@code redis-server} binary is on the PATH; empty otherwise. */
  public static Optional<LocalRedis> startIfInstalled() throws IOException, InterruptedException {
    Optional<Path> binary = findBinary();
    if (binary.isEmpty()) return Optional.empty();
    return Optional.of(launch(binary.get(), Files.createTempDirectory("flashsale-demo-redis"), List.of(),
        ProcessBuilder.Redirect.DISCARD));
  }

  /**
   * Starts one in {@code dir} with {@code extraArgs} (cluster mode, say), its output appended to
   * {@code dir/redis.log}; fails when no {@code redis-server} is on the PATH.
   */
  public static LocalRedis start(Path dir, List<String> extraArgs) throws IOException, InterruptedException {
    Path binary = findBinary().orElseThrow(() -> new IllegalStateException("no redis-server on the PATH"));
    Files.createDirectories(dir);
    return launch(binary, dir, extraArgs, ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()));
  }

  private static LocalRedis launch(Path binary, Path dir, List<String> extraArgs, ProcessBuilder.Redirect output)
      throws IOException, InterruptedException {
    int port = FreePorts.pick();
    List<String> command = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port), "--bind",
        "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
    command.addAll(extraArgs);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output).start();
    var redis = new LocalRedis(process, port);
    redis.awaitPing();
    return redis;
  }

  private static Optional<Path> findBinary() {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) continue;
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) return Optional.of(candidate);
    }
    return Optional.empty();
  }

  private void awaitPing() throws InterruptedException {
    long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadlineNanos) {
      if (!process.isAlive()) throw new IllegalStateException("redis-server exited with " + process.exitValue());
      try (var socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        OutputStream out = socket.getOutputStream();
        out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        byte[] reply = new byte[7];
        if (in.readNBytes(reply, 0, 7) == 7 && new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG")) return;
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(20);
    }
    close();
    throw new IllegalStateException("redis-server did not answer PING on port " + port);
  }

  public int port() {
    return port;
  }

  /** The server's process (a child of this JVM: its CPU time can be read). */
  public Process process() {
    return process;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
