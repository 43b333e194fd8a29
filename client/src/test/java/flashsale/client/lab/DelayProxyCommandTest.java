package flashsale.client.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.cli.ExitCodes;
import flashsale.net.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code flashsale delay-proxy} as a user runs it: a link with the delay asked for, until stopped; bad flags, one line. */
class DelayProxyCommandTest {

  @Test
  void forwardsWithTheDelayAskedForUntilStopped() throws Exception {
    try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread.ofPlatform().daemon().start(() -> {
        try (Socket s = echo.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          in.transferTo(out);
        } catch (IOException ignored) {
          // the test ended
        }
      });
      int port = FreePorts.pick();
      StringWriter out = new StringWriter();
      var cli = FlashSaleLab.commandLine().setOut(new PrintWriter(out, true));
      Thread running = Thread.ofPlatform().daemon().start(() -> cli.execute(
          "delay-proxy", "--port", Integer.toString(port), "--to", Integer.toString(echo.getLocalPort()), "--delay-ms", "15"));
      try (Socket client = connectWithin(port, 10_000)) {
        byte[] sent = "ping".getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        client.getOutputStream().write(sent);
        client.getOutputStream().flush();
        byte[] back = client.getInputStream().readNBytes(sent.length);
        long roundTripMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertArrayEquals(sent, back);
        assertTrue(roundTripMillis >= 30, "round trip " + roundTripMillis + " ms through 15 ms each way");
      }
      running.interrupt(); // as Ctrl-C ends the wait
      running.join(10_000);
      assertFalse(running.isAlive(), "the command returns once stopped");
    }
  }

  @Test
  void aNegativeDelayIsAUsageErrorOnOneLine() {
    StringWriter err = new StringWriter();
    var cli = FlashSaleLab.commandLine().setErr(new PrintWriter(err, true));
    int code = cli.execute("delay-proxy", "--port", "0", "--to", "1", "--delay-ms", "-1");
    assertEquals(ExitCodes.USAGE, code, err.toString());
    assertTrue(err.toString().contains("--delay-ms must be >= 0"), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }

  private static Socket connectWithin(int port, long limitMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
    while (true) {
      try {
        return new Socket("127.0.0.1", port);
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) throw notYet;
        Thread.sleep(50);
      }
    }
  }
}
