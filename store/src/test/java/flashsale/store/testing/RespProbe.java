package flashsale.store.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Sends one inline command to a Redis server and reads the first line of its reply: enough to
 * tell that a server is up (PING) and to reset it between tests (FLUSHALL), without starting a
 * client with its own threads.
 */
final class RespProbe {
  private static final int TIMEOUT_MS = 2_000;

  private RespProbe() {}

  static String command(String host, int port, String inlineCommand) throws IOException {
    try (Socket socket = sent(host, port, inlineCommand)) {
      String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), US_ASCII)).readLine();
      if (line == null) throw new IOException("connection closed before a reply to " + inlineCommand);
      return line;
    }
  }

  /** The whole of a bulk-string reply (e.g. {@code INFO replication}); an error or other reply as its first line. */
  static String bulk(String host, int port, String inlineCommand) throws IOException {
    try (Socket socket = sent(host, port, inlineCommand)) {
      var in = socket.getInputStream();
      StringBuilder line = new StringBuilder(); // byte by byte: a reader would buffer the body away
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) throw new IOException("connection closed before a reply to " + inlineCommand);
        if (c != '\r') line.append((char) c);
      }
      String head = line.toString();
      if (!head.startsWith("$")) return head;
      return new String(in.readNBytes(Integer.parseInt(head.substring(1))), US_ASCII);
    }
  }

  /** A connected socket on which {@code inlineCommand} has been sent. */
  private static Socket sent(String host, int port, String inlineCommand) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
      socket.setSoTimeout(TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write((inlineCommand + "\r\n").getBytes(US_ASCII));
      out.flush();
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Waits until PING answers +PONG (a loading server answers -LOADING until its data is in). */
  static void awaitPong(String host, int port, Duration timeout, Runnable stillStarting) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      stillStarting.run();
      try {
        last = command(host, port, "PING");
        if (last.equals("+PONG")) return;
      } catch (IOException e) {
        last = e.toString();
      }
      sleepMs(20);
    }
    throw new IllegalStateException(
        "Redis at " + host + ":" + port + " did not answer PING within " + timeout + "; last: " + last);
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Redis", e);
    }
  }
}
