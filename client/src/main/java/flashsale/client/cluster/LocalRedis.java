package flashsale.client.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    int port;
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Path dir = Files.createTempDirectory("flashsale-demo-redis");
    Process process =
        new ProcessBuilder(binary.get().toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    var redis = new LocalRedis(process, port);
    redis.awaitPing();
    return Optional.of(redis);
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
