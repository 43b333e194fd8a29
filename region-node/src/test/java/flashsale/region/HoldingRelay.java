package flashsale.region;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay for one connection that can hold what the client writes and pass it on in a single
 * write, so a burst reaches the server together however the client's own writes were split (a
 * loaded machine splits a client's burst into many). Server to client is passed on at once.
 */
final class HoldingRelay implements AutoCloseable {
  private final ServerSocket listener;
  private final int upstreamPort;
  private final ByteArrayOutputStream held = new ByteArrayOutputStream();
  private boolean holding;
  private OutputStream toServer;
  private volatile Socket client;
  private volatile Socket server;

  HoldingRelay(int upstreamPort) throws IOException {
    this.upstreamPort = upstreamPort;
    this.listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("relay-accept").start(this::acceptOne);
  }

  int port() {
    return listener.getLocalPort();
  }

  /** From now on the client's bytes are kept back. */
  synchronized void hold() {
    holding = true;
  }

  /**
   * Waits until no client byte has come for {@code quietMs}, then writes everything held in one
   * write and stops holding; returns the number of bytes written.
   */
  int releaseWhenQuiet(long quietMs, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    int size = -1;
    while (System.nanoTime() < deadline) {
      Thread.sleep(quietMs);
      int now;
      synchronized (this) {
        now = held.size();
        if (now > 0 && now == size) {
          toServer.write(held.toByteArray());
          toServer.flush();
          held.reset();
          holding = false;
          return now;
        }
      }
      size = now;
    }
    throw new AssertionError("the client's burst never went quiet in " + timeoutMs + " ms");
  }

  private void acceptOne() {
    try {
      client = listener.accept();
      client.setTcpNoDelay(true);
      server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
      server.setTcpNoDelay(true);
      synchronized (this) {
        toServer = server.getOutputStream();
      }
      Thread.ofPlatform().daemon().name("relay-to-client").start(() -> pump(server, client));
      InputStream fromClient = client.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = fromClient.read(buffer)) >= 0; ) {
        synchronized (this) {
          if (holding) {
            held.write(buffer, 0, n);
          } else {
            toServer.write(buffer, 0, n);
            toServer.flush();
          }
        }
      }
    } catch (IOException e) {
      // the test closed the relay, or a side hung up: the connection ends either way
    } finally {
      closeQuietly();
    }
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream()) {
      in.transferTo(to.getOutputStream());
    } catch (IOException e) {
      // one side hung up
    }
  }

  private void closeQuietly() {
    for (var socket : new java.io.Closeable[] {client, server, listener}) {
      try {
        if (socket != null) socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
