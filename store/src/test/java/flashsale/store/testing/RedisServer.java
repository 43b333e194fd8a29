package flashsale.store.testing;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * A real Redis for tests, started by the test itself: a {@code redis:7-alpine} container when
 * Testcontainers finds a Docker engine, otherwise a {@code redis-server} binary on a free port.
 * Neither available is a test failure, never a skip: a store test that did not run proves
 * nothing. Set {@code -Dflashsale.test.redis=process} to skip the Docker probe.
 */
public final class RedisServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisServer.class);

  /** What a running server can do; one implementation per way of running it. */
  interface Backend extends AutoCloseable {
    String host();

    int port();

    void stop();

    void kill();

    void restart();

    @Override
    void close();
  }

  private static Boolean dockerAvailable; // probed once per JVM: the probe takes a while

  private final Backend backend;

  private RedisServer(Backend backend) {
    this.backend = backend;
  }

  /** A server without persistence. */
  public static RedisServer start() {
    return start(false);
  }

  /**
   * With {@code appendOnly}, every write is fsynced to an append-only file before Redis
   * acknowledges it, so a kill loses nothing acknowledged.
   */
  public static RedisServer start(boolean appendOnly) {
    if (dockerAvailable()) return new RedisServer(RedisContainer.start(appendOnly));
    Path binary = RedisProcess.findBinary();
    if (binary == null) {
      throw new IllegalStateException(
          "store tests need a real Redis: no Docker engine for Testcontainers and no redis-server on PATH"
              + " or at /usr/bin/redis-server. Install redis-server (apt-get install redis-server) or start Docker.");
    }
    return new RedisServer(RedisProcess.start(binary, appendOnly));
  }

  private static synchronized boolean dockerAvailable() {
    if (dockerAvailable == null) {
      boolean skipProbe = "process".equals(System.getProperty("flashsale.test.redis"));
      dockerAvailable = !skipProbe && probeDocker();
      log.info("redis for tests runs in {}", dockerAvailable ? "a Docker container" : "a local redis-server process");
    }
    return dockerAvailable;
  }

  private static boolean probeDocker() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      log.info("no Docker engine: {}", e.toString());
      return false;
    }
  }

  /** {@code redis://host:port}. */
  public String uri() {
    return "redis://" + backend.host() + ":" + backend.port();
  }

  public int port() {
    return backend.port();
  }

  public String host() {
    return backend.host();
  }

  /** Graceful shutdown (SIGTERM): Redis finishes its append-only file. */
  public void stop() {
    backend.stop();
  }

  /** SIGKILL: the crash a fault test wants; only fsynced writes survive. */
  public void kill() {
    backend.kill();
  }

  /** Stops the server if it still runs and starts it again on the same port with the same data directory. */
  public void restart() {
    backend.restart();
  }

  /** True when the server answers PING now; false while it is down (or still loading its data). */
  public boolean answersPing() {
    try {
      return RespProbe.command(backend.host(), backend.port(), "PING").equals("+PONG");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Deletes everything (FLUSHALL); loaded functions stay. */
  public void flushAll() {
    try {
      String reply = RespProbe.command(backend.host(), backend.port(), "FLUSHALL");
      if (!reply.equals("+OK")) throw new IllegalStateException("FLUSHALL answered " + reply);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("FLUSHALL failed on " + uri(), e);
    }
  }

  /** Stops the server and deletes its data. */
  @Override
  public void close() {
    backend.close();
  }
}
