package flashsale.client.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A loopback TCP proxy that delays every byte by a fixed one-way latency in each direction,
 * preserving order, and can cut all its connections. It stands in for a WAN link, since this
 * machine has no netem.
 *
 * <p>Its reading and writing threads ask for Java's highest priority (nice -15 where the launcher's
 * priority options let the JVM set it, as for the regions' socket readers): a real link does not
 * wait for the nodes' CPU, so the emulated one should wait as little as it can.
 */
public final class TcpDelayProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private volatile long oneWayDelayNanos;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile boolean closed;
  /**
   * How late each chunk left, beyond its delay, toward the target and back (µs): a writer that
   * wakes late on a busy machine stretches the link, and that stretch is the emulation's, not the
   * system's under test.
   */
  private final Recorder lateTowardTarget = new Recorder(3);
  private final Recorder lateBack = new Recorder(3);
  /** The first bytes each client sent on each connection: what an eavesdropper on the link sees first. */
  private final List<byte[]> openings = new CopyOnWriteArrayList<>();

  public TcpDelayProxy(int targetPort, long oneWayDelayMillis) throws IOException {
    this(0, targetPort, oneWayDelayMillis);
  }

  /** Listening on loopback port {@code listenPort} (0: any free one). */
  public TcpDelayProxy(int listenPort, int targetPort, long oneWayDelayMillis) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.oneWayDelayNanos = TimeUnit.MILLISECONDS.toNanos(oneWayDelayMillis);
    this.listener = new ServerSocket(listenPort, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("proxy-accept-" + port()).start(this::acceptLoop);
  }

  public int port() {
    return listener.getLocalPort();
  }

  public String address() {
    return "127.0.0.1:" + port();
  }

  public void setOneWayDelayMillis(long millis) {
    oneWayDelayNanos = TimeUnit.MILLISECONDS.toNanos(millis);
  }

  /**
   * How late chunks left toward the target (µs beyond the delay) since the last call, then starts
   * anew: a link whose writer woke late on a busy machine added that to everything behind it.
   */
  public Histogram takeLatenessTowardTarget() {
    return lateTowardTarget.getIntervalHistogram();
  }

  /** As {@link #takeLatenessTowardTarget()}, for chunks coming back from the target. */
  public Histogram takeLatenessBack() {
    return lateBack.getIntervalHistogram();
  }

  /** The first (up to 64) bytes each client sent on each connection so far, in order. */
  public List<byte[]> connectionOpenings() {
    return List.copyOf(openings);
  }

  /** Drops every open connection (both ends see a reset); new connections still work. */
  public void cutConnections() {
    for (Socket s : open) closeQuietly(s);
    open.clear();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        try {
          server.connect(target, 2_000);
        } catch (IOException e) {
          closeQuietly(client); // else the caller holds a connection nobody serves, and waits forever
          throw e;
        }
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        open.add(client);
        open.add(server);
        pipe(client, server, true, lateTowardTarget);
        pipe(server, client, false, lateBack);
      } catch (IOException e) {
        if (!closed) sleepQuietly(10);
      }
    }
  }

  /** One direction: a reader stamps each chunk with its due time, a writer releases it then. */
  private void pipe(Socket from, Socket to, boolean recordOpening, Recorder lateness) {
    record Chunk(long dueNanos, byte[] bytes) {}
    BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon().priority(Thread.MAX_PRIORITY).start(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream()) {
        int n;
        boolean first = recordOpening;
        while ((n = in.read(buf)) >= 0) {
          if (first && n > 0) openings.add(Arrays.copyOf(buf, Math.min(n, 64)));
          first = false;
          queue.add(new Chunk(System.nanoTime() + oneWayDelayNanos, Arrays.copyOf(buf, n)));
        }
      } catch (IOException ignored) {
        // connection cut
      }
      queue.add(new Chunk(0, null));
    });
    Thread.ofPlatform().daemon().priority(Thread.MAX_PRIORITY).start(() -> {
      try (OutputStream out = to.getOutputStream()) {
        while (true) {
          Chunk c = queue.take();
          if (c.bytes() == null) break;
          long waitNanos = c.dueNanos() - System.nanoTime();
          if (waitNanos > 0) TimeUnit.NANOSECONDS.sleep(waitNanos);
          lateness.recordValue(Math.max(0, (System.nanoTime() - c.dueNanos()) / 1_000));
          out.write(c.bytes());
          out.flush();
        }
      } catch (IOException | InterruptedException ignored) {
        // connection cut
      } finally {
        closeQuietly(to);
        closeQuietly(from);
      }
    });
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // already closed
    }
    cutConnections();
  }
}
