package flashsale.client.wire;

import flashsale.sale.Micros;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A zero-delay loopback TCP proxy in front of a region node that records, by request_id, when each
 * Purchase's bytes reached it: the ground truth of "arrival at the region". Bytes are forwarded at
 * once in both directions; the clock is read once per read from the client, right after the read
 * returns and before the bytes go on, and the HTTP/2 parsing runs after they went on, so the tap
 * never holds traffic for its own bookkeeping. A connection whose bytes the parser cannot follow
 * is still forwarded, and counted in {@link #brokenConnections()}.
 */
public final class WireTap implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WireTap.class);
  private static final int BUFFER_BYTES = 64 * 1024;

  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final InstantSource clock;
  private final WireLog wireLog;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicLong brokenConnections = new AtomicLong();
  private volatile boolean closed;

  /** A tap on the system clock (the clock the region stamps with) in front of {@code targetPort}. */
  public WireTap(int targetPort, WireLog wireLog) throws IOException {
    this(targetPort, wireLog, InstantSource.system());
  }

  /** @param clock read once per read from the client; the system clock outside tests */
  public WireTap(int targetPort, WireLog wireLog, InstantSource clock) throws IOException {
    this(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), wireLog, clock);
  }

  /**
   * A tap in front of any address. Only a tap on the region's own host sees the region's arrival;
   * elsewhere it sees when the bytes left that host.
   */
  public WireTap(InetSocketAddress target, WireLog wireLog, InstantSource clock) throws IOException {
    this.target = target;
    this.wireLog = wireLog;
    this.clock = clock;
    this.listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("wire-tap-accept-" + port()).start(this::acceptLoop);
  }

  public int port() {
    return listener.getLocalPort();
  }

  public String address() {
    return "127.0.0.1:" + port();
  }

  public WireLog wireLog() {
    return wireLog;
  }

  /** Connections whose HTTP/2 bytes the tap could not follow (still forwarded). */
  public long brokenConnections() {
    return brokenConnections.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        try {
          server.connect(target, 2_000);
        } catch (IOException e) {
          closeQuietly(client);
          throw e;
        }
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        open.add(client);
        open.add(server);
        String name = "wire-tap-" + port() + "-" + client.getPort();
        Thread.ofPlatform().daemon().name(name + "-in").start(() -> tapInbound(client, server));
        Thread.ofPlatform().daemon().name(name + "-out").start(() -> copy(server, client));
      } catch (IOException e) {
        if (!closed) log.debug("wire tap accept failed port={} error={}", port(), e.toString());
      }
    }
  }

  /** Client to region: time each read, forward it, then parse it. */
  private void tapInbound(Socket from, Socket to) {
    PurchaseTap tap = new PurchaseTap(wireLog);
    byte[] buf = new byte[BUFFER_BYTES];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        long readMicros = micros(clock.instant());
        out.write(buf, 0, n);
        boolean wasBroken = tap.broken() != null;
        tap.feed(buf, 0, n, readMicros);
        if (!wasBroken && tap.broken() != null) {
          brokenConnections.incrementAndGet();
          log.warn("wire tap stopped parsing a connection port={} reason={}", port(), tap.broken());
        }
      }
    } catch (IOException ignored) {
      // connection closed by either side
    } finally {
      release(to, from);
      tap.close();
    }
  }

  private void copy(Socket from, Socket to) {
    byte[] buf = new byte[BUFFER_BYTES];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) out.write(buf, 0, n);
    } catch (IOException ignored) {
      // connection closed by either side
    } finally {
      release(to, from);
    }
  }

  private void release(Socket a, Socket b) {
    closeQuietly(a);
    closeQuietly(b);
    open.remove(a);
    open.remove(b);
  }

  static long micros(Instant t) {
    return Micros.of(t);
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
    for (Socket s : open) closeQuietly(s);
    open.clear();
  }
}
