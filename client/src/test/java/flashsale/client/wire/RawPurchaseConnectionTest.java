package flashsale.client.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.PurchaseRequest;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The burst writer's hand-made HTTP/2 against a real grpc-java server, through a tap. */
class RawPurchaseConnectionTest {

  @Test
  void aBurstWrittenAsRawBytesIsAnsweredCallByCallAndSeenByTheTap() throws Exception {
    var server = CapturedCalls.echoServer();
    WireLog log = new WireLog();
    try (WireTap tap = new WireTap(server.getPort(), log);
        RawPurchaseConnection c = RawPurchaseConnection.open("127.0.0.1", tap.port(), InstantSource.system(), Duration.ofSeconds(10))) {
      List<PurchaseRequest> requests = new ArrayList<>();
      for (int i = 0; i < 3_000; i++) {
        requests.add(PurchaseRequest.newBuilder().setEventId("e").setUserId("u" + i).setRequestId("raw-" + i).setQuantity(1).build());
      }
      var encoded = c.encode(requests, Duration.ofSeconds(30));
      c.expect(requests.size());
      for (int from = 0; from < encoded.size(); from += 500) c.write(encoded.subList(from, Math.min(encoded.size(), from + 500)));
      assertTrue(c.awaitAnswers(Duration.ofSeconds(30)), "every call answered; failure: " + c.failure());
      var answers = c.answers();
      assertEquals(requests.size(), answers.size());
      for (PurchaseRequest r : requests) {
        var a = answers.get(r.getRequestId());
        assertEquals(0, a.grpcStatus(), r.getRequestId());
        assertEquals(r.getRequestId(), a.decision().getRequestId(), "the server read the request we wrote");
      }
      assertEquals(requests.size(), log.size(), "the tap decoded every raw call too");
      assertEquals(0, tap.brokenConnections());
    } finally {
      server.shutdownNow();
    }
  }

  /** The same as the messages of one StreamPurchases stream: more than the default 64 KiB window each way. */
  @Test
  void aBurstWrittenOnOneStreamIsAnsweredMessageByMessageAndSeenByTheTap() throws Exception {
    var server = CapturedCalls.echoServer();
    WireLog log = new WireLog();
    try (WireTap tap = new WireTap(server.getPort(), log);
        RawPurchaseConnection c = RawPurchaseConnection.open("127.0.0.1", tap.port(), InstantSource.system(), Duration.ofSeconds(10))) {
      List<PurchaseRequest> requests = new ArrayList<>();
      for (int i = 0; i < 5_000; i++) {
        requests.add(PurchaseRequest.newBuilder().setEventId("e").setUserId("u" + i).setRequestId("streamed-" + i).setQuantity(1).build());
      }
      var encoded = c.encodeStreamed(requests, Duration.ofSeconds(30));
      assertEquals(1, encoded.stream().mapToInt(RawPurchaseConnection.EncodedCall::streamId).distinct().count(), "one stream");
      c.expect(requests.size());
      for (int from = 0; from < encoded.size(); from += 500) c.write(encoded.subList(from, Math.min(encoded.size(), from + 500)));
      assertTrue(c.awaitAnswers(Duration.ofSeconds(30)), "every purchase answered; failure: " + c.failure());
      var answers = c.answers();
      assertEquals(requests.size(), answers.size());
      for (PurchaseRequest r : requests) {
        var a = answers.get(r.getRequestId());
        assertEquals(0, a.grpcStatus(), r.getRequestId());
        assertEquals(r.getRequestId(), a.decision().getRequestId(), "the server read the message we wrote");
      }
      assertEquals(requests.size(), log.size(), "the tap noted every streamed purchase");
      assertEquals(0, tap.brokenConnections());
    } finally {
      server.shutdownNow();
    }
  }

  /**
   * A server that sends its SETTINGS the moment it accepts (HTTP/2 allows it) must still read the
   * client preface first: the connection's SETTINGS ACK once raced ahead of it.
   */
  @Test
  void thePrefaceIsTheFirstByteEvenWhenTheServerSpeaksFirst() throws Exception {
    byte[] serverSettings = {0, 0, 0, 0x4, 0, 0, 0, 0, 0}; // an empty SETTINGS frame
    for (int round = 0; round < 50; round++) {
      try (var listener = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        var accepted = new java.util.concurrent.CompletableFuture<byte[]>();
        Thread.ofPlatform().daemon().start(() -> {
          try (var socket = listener.accept()) {
            socket.getOutputStream().write(serverSettings); // before reading anything
            socket.getOutputStream().flush();
            accepted.complete(socket.getInputStream().readNBytes(Http2FrameReader.PREFACE.length));
            socket.getInputStream().readAllBytes(); // open until the client closes
          } catch (java.io.IOException e) {
            accepted.completeExceptionally(e);
          }
        });
        try (var c = RawPurchaseConnection.open("127.0.0.1", listener.getLocalPort(), InstantSource.system(), Duration.ofSeconds(5))) {
          assertTrue(java.util.Arrays.equals(Http2FrameReader.PREFACE, accepted.get(5, java.util.concurrent.TimeUnit.SECONDS)),
              "round " + round + ": the first bytes on the wire are the client preface");
        }
      }
    }
  }
}
