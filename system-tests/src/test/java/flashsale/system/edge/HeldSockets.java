package flashsale.system.edge;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Many sockets a hostile client opens and leaves hanging (nothing sent, or the start of the HTTP/2
 * preface), each waiting for the server to close it. Virtual threads, one per socket.
 */
final class HeldSockets {
  /** How the server treated the sockets: how many it closed, and the longest one stayed open. */
  record Closed(int opened, int closedByServer, long slowestCloseMs) {}

  private HeldSockets() {}

  /** Opens {@code count} sockets to {@code port}, writes {@code first} on each, and waits up to {@code patience}. */
  static Closed hold(int port, int count, byte[] first, Duration patience) throws Exception {
    List<Future<Long>> closes = new ArrayList<>();
    List<Socket> sockets = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < count; i++) {
        Socket s = new Socket();
        long openedNanos = System.nanoTime();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout((int) patience.toMillis());
        if (first.length > 0) s.getOutputStream().write(first);
        sockets.add(s);
        closes.add(threads.submit(() -> untilClosed(s, openedNanos)));
      }
      int closed = 0;
      long slowestMs = 0;
      for (Future<Long> f : closes) {
        long ms = f.get(patience.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        if (ms >= 0) {
          closed++;
          slowestMs = Math.max(slowestMs, ms);
        }
      }
      return new Closed(count, closed, slowestMs);
    } finally {
      for (Socket s : sockets) s.close();
    }
  }

  /** Milliseconds the socket stayed open after its connect, or -1 if the server did not close it in time. */
  private static long untilClosed(Socket s, long startNanos) {
    byte[] buf = new byte[4096];
    try (InputStream in = s.getInputStream()) {
      while (in.read(buf) >= 0) {
        Arrays.fill(buf, (byte) 0); // whatever the server sends first (SETTINGS, GOAWAY): read on
      }
    } catch (java.net.SocketTimeoutException e) {
      return -1;
    } catch (IOException e) {
      // reset: closed too
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}
