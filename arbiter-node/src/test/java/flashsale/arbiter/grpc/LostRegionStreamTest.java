package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.RegionNodeStatus;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.arbiter.metrics.ArbiterMetrics;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.SequenceResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A send to a region node whose peer has gone fails: the stream is dropped, ended, and the
 * sequencer hears that the node left (its status, the connected gauge and its welcome follow),
 * unless a new stream of the node connected in the meantime.
 */
class LostRegionStreamTest {
  final RegionSessions sessions = new RegionSessions();
  final SequencerLoop loop = new SequencerLoop(new Sequencer(SequencerConfig.defaults()), new InMemoryArbiterStore(),
      Clock.systemUTC(), sessions, new ArbiterMetrics(new SimpleMeterRegistry()));

  @AfterEach
  void stop() {
    loop.close();
  }

  /** An observer of a call whose peer goes away: once {@code gone}, every message fails, as grpc-java's does once cancelled. */
  static final class GoneObserver implements StreamObserver<SequenceResponse> {
    final AtomicReference<Throwable> endedWith = new AtomicReference<>();
    volatile boolean gone;
    volatile int received;

    @Override
    public void onNext(SequenceResponse value) {
      if (gone) throw new IllegalStateException("call already cancelled");
      received++;
    }

    @Override
    public void onError(Throwable t) {
      endedWith.set(t);
    }

    @Override
    public void onCompleted() {}
  }

  private void onLoop(Runnable task) {
    CompletableFuture.runAsync(task, loop::execute).join();
  }

  private void connect(String region, long streamId, StreamObserver<SequenceResponse> out) {
    assertTrue(sessions.open(new RegionSessions.Session(region, "", streamId, out)));
    loop.inputNow(q -> q.regionConnected(region, loop.nowMicros()));
  }

  private boolean connected(String region) {
    List<RegionNodeStatus> statuses = loop.query(Sequencer::regionStatuses).join();
    return statuses.stream().filter(s -> s.region().equals(region)).findFirst().orElseThrow().connected();
  }

  @Test
  void aFailedSendEndsTheStreamAndTheSequencerHearsTheNodeLeft() {
    GoneObserver gone = new GoneObserver();
    onLoop(() -> connect("far", 1, gone));
    assertTrue(connected("far"));

    gone.gone = true;
    onLoop(() -> sessions.send("far", SequenceResponse.getDefaultInstance()));
    assertFalse(connected("far"), "told the node left");
    assertFalse(sessions.hasStream("far"));
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.fromThrowable(gone.endedWith.get()).getCode());
  }

  /** A welcome that waited for the node's record, due once this node's lease ran out: the node is ended and leaves. */
  @Test
  void aWelcomeRefusedForALapsedLeaseEndsTheStreamAndTheSequencerHearsTheNodeLeft() {
    GoneObserver out = new GoneObserver();
    onLoop(() -> connect("far", 1, out));
    assertTrue(connected("far"));

    onLoop(() -> {
      sessions.refuseUnless(() -> false, () -> io.grpc.Status.UNAVAILABLE.withDescription("lease ran out").asRuntimeException());
      sessions.welcome("far", 0);
    });

    assertFalse(sessions.hasStream("far"));
    assertFalse(connected("far"), "told the node left: not shown connected, and it may be forgotten in time");
    assertEquals("lease ran out", io.grpc.Status.fromThrowable(out.endedWith.get()).getDescription());
  }

  @Test
  void aStreamThatTakesNothingMoreForTheLimitIsEndedAndTheNodeLeaves() {
    long[] nowMs = {0};
    boolean[] ready = {false};
    sessions.endUnreadStreamsAfter(1_000, Long.MAX_VALUE, () -> nowMs[0] * 1_000_000);
    GoneObserver out = new GoneObserver(); // never gone: it just reads nothing
    onLoop(() -> {
      assertTrue(sessions.open(new RegionSessions.Session("far", "", 1, out, () -> ready[0])));
      loop.inputNow(q -> q.regionConnected("far", loop.nowMicros()));
    });
    java.util.function.LongConsumer sendAt = ms -> {
      nowMs[0] = ms;
      onLoop(() -> sessions.send("far", SequenceResponse.getDefaultInstance()));
    };
    sendAt.accept(0); // first found not ready
    sendAt.accept(999);
    assertTrue(sessions.hasStream("far"), "under the limit");
    ready[0] = true;
    sendAt.accept(1_500); // it read: the count starts again
    ready[0] = false;
    sendAt.accept(2_000);
    sendAt.accept(2_999);
    assertTrue(sessions.hasStream("far") && connected("far"), "999 ms since it last took more");
    sendAt.accept(3_000);
    assertFalse(sessions.hasStream("far"));
    assertFalse(connected("far"), "told the node left");
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.fromThrowable(out.endedWith.get()).getCode());
  }

  @Test
  void aStreamThatTakesNothingMoreIsEndedOnceTheBytesSentToItPassTheLimit() {
    boolean[] ready = {true}; // while it connects and is welcomed
    SequenceResponse message = SequenceResponse.newBuilder().setSoldOut(flashsale.v1.SoldOutNotice.newBuilder()
        .setEventId("e").setSoldOutMicros(1)).build();
    int size = RegionSessions.GRPC_MESSAGE_HEADER_BYTES + message.getSerializedSize();
    sessions.endUnreadStreamsAfter(60_000, 10L * size, () -> 0); // the clock never moves: only bytes can end it
    GoneObserver out = new GoneObserver();
    onLoop(() -> {
      assertTrue(sessions.open(new RegionSessions.Session("far", "", 1, out, () -> ready[0])));
      loop.inputNow(q -> q.regionConnected("far", loop.nowMicros()));
    });
    Runnable send = () -> onLoop(() -> sessions.send("far", message));
    onLoop(() -> ready[0] = false); // after the welcome: from now on it takes nothing more
    int welcomed = out.received;
    for (int i = 0; i < 10; i++) send.run();
    assertTrue(sessions.hasStream("far") && connected("far"), "10 messages, exactly the limit");
    onLoop(() -> ready[0] = true);
    send.run(); // it read: the count starts again
    onLoop(() -> ready[0] = false);
    for (int i = 0; i < 10; i++) send.run();
    assertTrue(sessions.hasStream("far"), "10 since it last took more");
    send.run();
    assertFalse(sessions.hasStream("far"), "the 11th would pass the limit");
    assertFalse(connected("far"), "told the node left");
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.fromThrowable(out.endedWith.get()).getCode());
    assertEquals(welcomed + 21, out.received, "every message before the limit was sent, none after");
  }

  @Test
  void aNewStreamOpenedBeforeTheNewsIsHeardStaysConnected() {
    GoneObserver first = new GoneObserver();
    onLoop(() -> connect("far", 1, first));
    first.gone = true;
    onLoop(() -> {
      sessions.send("far", SequenceResponse.getDefaultInstance());
      connect("far", 2, new GoneObserver()); // a live one: not gone
    });
    assertTrue(connected("far"), "the new stream's node is not disconnected by the old one's failure");
    assertTrue(sessions.hasStream("far"));
  }
}
