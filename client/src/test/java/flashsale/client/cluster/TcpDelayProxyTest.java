package flashsale.client.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class TcpDelayProxyTest {
  /** Bytes cross after the delay each way, and each chunk's lateness beyond it is counted, then started anew. */
  @Test
  void delaysEachWayAndCountsHowLateEachChunkLeft() throws Exception {
    try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread.ofPlatform().daemon().start(() -> {
        try (Socket s = echo.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          in.transferTo(out);
        } catch (java.io.IOException ignored) {
          // the test ended
        }
      });
      try (var proxy = new TcpDelayProxy(echo.getLocalPort(), 20); Socket client = new Socket("127.0.0.1", proxy.port())) {
        byte[] sent = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        client.getOutputStream().write(sent);
        client.getOutputStream().flush();
        byte[] back = client.getInputStream().readNBytes(sent.length);
        long roundTripMillis = (System.nanoTime() - start) / 1_000_000;
        assertArrayEquals(sent, back);
        assertTrue(roundTripMillis >= 40, "round trip " + roundTripMillis + " ms through a 20 ms link");
        assertEquals(1, proxy.takeLatenessTowardTarget().getTotalCount());
        assertEquals(1, proxy.takeLatenessBack().getTotalCount());
        assertEquals(0, proxy.takeLatenessTowardTarget().getTotalCount(), "taken: counting starts anew");
      }
    }
  }
}
