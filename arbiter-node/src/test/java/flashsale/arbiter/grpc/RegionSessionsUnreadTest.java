package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.SequenceResponse;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A region node that stops reading its arbiter stream: the arbiter goes on writing (gRPC buffers)
 * for the unread limit, then closes the stream, so the node cannot hold the arbiter's heap; a node
 * that reads, however slowly, keeps its stream.
 */
class RegionSessionsUnreadTest {
  private static final Duration LIMIT = Duration.ofSeconds(10);
  private Instant now = Instant.parse("2026-12-04T12:00:00Z");
  private final InstantSource clock = () -> now;
  private final RegionSessions sessions = new RegionSessions(clock, LIMIT);

  @Test
  void aStreamNotReadForTheLimitIsClosedAndForgotten() {
    Peer peer = new Peer();
    RegionSessions.Session session = open(peer);
    peer.ready = false; // the node stopped reading
    send();
    advance(Duration.ofMillis(9_999));
    send();
    assertEquals(2, peer.received.size(), "written (and buffered) until the limit");
    assertNull(peer.ended);
    advance(Duration.ofMillis(1));
    send();
    assertEquals(2, peer.received.size(), "nothing more written once the limit passed");
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(peer.ended).getCode());
    assertEquals(ErrorReason.ARBITER_UNAVAILABLE.name(), Errors.reasonOf(peer.ended).orElseThrow());
    assertFalse(sessions.isCurrent(session), "the closed stream is forgotten: the node reconnects");
  }

  @Test
  void aStreamThatReadsSlowlyIsKept() {
    Peer peer = new Peer();
    RegionSessions.Session session = open(peer);
    for (int second = 0; second < 60; second++) {
      peer.ready = second % 9 == 8; // able to take more once every 9 s
      send();
      advance(Duration.ofSeconds(1));
    }
    assertNull(peer.ended, "closed although it read every 9 s");
    assertTrue(sessions.isCurrent(session));
    assertEquals(60, peer.received.size());
  }

  @Test
  void aNewStreamOfTheNodeStartsWithAClearRecord() {
    Peer first = new Peer();
    open(first);
    first.ready = false;
    send();
    advance(Duration.ofSeconds(9));
    Peer second = new Peer(); // the node reconnected before the limit
    second.ready = false;
    RegionSessions.Session session = open(second);
    send();
    advance(Duration.ofSeconds(9));
    send();
    assertNull(second.ended, "the new stream inherited the old one's unread time");
    assertTrue(sessions.isCurrent(session));
  }

  private RegionSessions.Session open(Peer peer) {
    RegionSessions.Session session = new RegionSessions.Session("east", "", peer.hashCode(), new SerializedObserver<>(peer));
    assertTrue(sessions.open(session));
    return session;
  }

  private void send() {
    sessions.send("east", SequenceResponse.getDefaultInstance());
  }

  private void advance(Duration by) {
    now = now.plus(by);
  }

  /** The node's end as gRPC's flow control shows it to the arbiter. */
  private static final class Peer extends CallStreamObserver<SequenceResponse> {
    final List<SequenceResponse> received = new ArrayList<>();
    boolean ready = true;
    Throwable ended;

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void onNext(SequenceResponse value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      ended = t;
    }

    @Override
    public void onCompleted() {}

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
