package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.testing.RegionStreamArbiter;
import flashsale.store.ArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.Ticket;
import flashsale.v1.TicketBatch;
import flashsale.v1.Watermark;
import flashsale.wire.Times;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GetDecision racing the batch that stores its decision: the store read misses (the batch is still
 * in flight), the batch lands and the sequencer forgets the pending ticket before the query reaches
 * it. The answer is the stored decision, not PURCHASE_NOT_FOUND, which a region past the sale's end
 * would turn into EVENT_ENDED for a purchase that won.
 */
class GetDecisionRaceTest {
  private final AtomicBoolean missNextRead = new AtomicBoolean();
  private RegionStreamArbiter arbiter;
  private ManagedChannel channel;
  private BlockingQueue<SequenceResponse> received;
  private StreamObserver<SequenceRequest> stream;

  @BeforeEach
  void start() throws Exception {
    arbiter = new RegionStreamArbiter(storeWhoseNextDecisionReadMisses(new InMemoryArbiterStore()));
    channel = arbiter.channel;
    received = arbiter.received;
    stream = arbiter.stream;
  }

  @AfterEach
  void stop() {
    arbiter.close();
  }

  /** The first findDecision after {@link #missNextRead} is set answers "none", as a read just before the batch landed. */
  private ArbiterStore storeWhoseNextDecisionReadMisses(ArbiterStore working) {
    return (ArbiterStore) Proxy.newProxyInstance(ArbiterStore.class.getClassLoader(), new Class<?>[] {ArbiterStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("findDecision") && missNextRead.compareAndSet(true, false)) return Optional.empty();
          try {
            return method.invoke(working, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void aDecisionStoredWhileItWasLookedUpIsAnswered() throws Exception {
    long now = System.currentTimeMillis() * 1000;
    var event = EventAdminGrpcServiceTest.validEvent().setEventId("drop").setStock(1).clearRegions().addRegions("east")
        .setStartTime(Times.timestamp(now - 1_000_000)).build();
    EventAdminServiceGrpc.newBlockingStub(channel)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-drop").setEvent(event).build());
    PurchaseDecision won = decide("drop", "a", now + 1);
    assertEquals(Outcome.OUTCOME_WON, won.getOutcome());

    missNextRead.set(true);
    var answer = SequencerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .getDecision(GetDecisionRequest.newBuilder().setEventId("drop").setRequestId("a").build());
    assertEquals(won, answer.getDecision());
    assertEquals(false, missNextRead.get(), "the first read missed");
  }

  /**
   * Past the close, a request id the arbiter holds nothing of is not yet "not found" while a node
   * of the event's regions, short of the close, is not heard from: that node (cut off, say) may
   * hold the ticket, stamped in time, and it could still win. The region turns "not found" past
   * the end into EVENT_ENDED, a final answer.
   */
  @Test
  void pastTheCloseAnUnknownRequestIsNotFoundOnlyOnceEveryRegionPromisedPastIt() throws Exception {
    long now = System.currentTimeMillis() * 1000;
    long endMicros = now + 2_000_000; // far enough for a cold createEvent on a busy machine
    var event = EventAdminGrpcServiceTest.validEvent().setEventId("late").setStock(1).clearRegions().addRegions("east")
        .setStartTime(Times.timestamp(now - 1_000_000)).setEndTime(Times.timestamp(endMicros)).build();
    EventAdminServiceGrpc.newBlockingStub(channel)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-late").setEvent(event).build());
    stream.onNext(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(now)).build());
    var sequencer = SequencerServiceGrpc.newBlockingStub(channel);
    var unknown = GetDecisionRequest.newBuilder().setEventId("late").setRequestId("held-at-east").build();

    var live = assertThrows(StatusRuntimeException.class, () -> sequencer.getDecision(unknown));
    assertEquals(Status.Code.NOT_FOUND, live.getStatus().getCode(), "while the sale is open, as before");

    Thread.sleep((endMicros - System.currentTimeMillis() * 1000) / 1000 + 50); // east silent 2 s by then
    var behind = assertThrows(StatusRuntimeException.class, () -> sequencer.getDecision(unknown));
    assertEquals(Status.Code.UNAVAILABLE, behind.getStatus().getCode(), behind.getStatus().toString());
    assertTrue(behind.getStatus().getDescription().contains("east (not heard from"), behind.getStatus().getDescription());

    stream.onNext(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(endMicros)).build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Status.Code code;
    do {
      code = assertThrows(StatusRuntimeException.class, () -> sequencer.getDecision(unknown)).getStatus().getCode();
    } while (code == Status.Code.UNAVAILABLE && System.nanoTime() < deadline);
    assertEquals(Status.Code.NOT_FOUND, code, "once east promised past the close");
  }

  /**
   * A named node that keeps speaking, 500 ms behind (a far region), is short of the close for a
   * link's delay after it: a request unknown then is not found at once (EVENT_ENDED at the region),
   * as a buyer's retry comes far later than that. Nor does the region's unnamed placeholder, which
   * never speaks once a named node does, hold it.
   */
  @Test
  void justPastTheCloseANodeStillSpeakingDoesNotHoldAnUnknownRequest() throws Exception {
    long now = System.currentTimeMillis() * 1000;
    long endMicros = now + 2_000_000; // far enough for a cold createEvent on a busy machine
    long lagMicros = 500_000; // wide enough that a GC pause cannot skip the whole window below
    var event = EventAdminGrpcServiceTest.validEvent().setEventId("near-close").setStock(1).clearRegions()
        .addRegions("far").setStartTime(Times.timestamp(now - 1_000_000)).setEndTime(Times.timestamp(endMicros)).build();
    EventAdminServiceGrpc.newBlockingStub(channel)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-near-close").setEvent(event).build());
    var farNode = SequencerServiceGrpc.newStub(channel).sequence(new StreamObserver<>() {
      @Override public void onNext(SequenceResponse message) {}
      @Override public void onError(Throwable t) {}
      @Override public void onCompleted() {}
    });
    farNode.onNext(SequenceRequest.newBuilder().setHello(flashsale.v1.RegionHello.newBuilder().setRegion("far")
        .setInstanceId("i-far").setNodeId("far-1")).build());
    var sequencer = SequencerServiceGrpc.newBlockingStub(channel);
    var unknown = GetDecisionRequest.newBuilder().setEventId("near-close").setRequestId("never-sent").build();
    long untilMicros = endMicros + lagMicros + 100_000;
    Status.Code code = null;
    while (System.currentTimeMillis() * 1000 < untilMicros) {
      long behindMicros = System.currentTimeMillis() * 1000 - lagMicros;
      farNode.onNext(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(behindMicros)).build());
      if (behindMicros < endMicros && System.currentTimeMillis() * 1000 > endMicros + 20_000 && code == null) {
        code = assertThrows(StatusRuntimeException.class, () -> sequencer.getDecision(unknown)).getStatus().getCode();
      }
      Thread.sleep(2);
    }
    farNode.onCompleted();
    assertEquals(Status.Code.NOT_FOUND, code, "far speaks: it passes the close within its delay");
  }

  /** Sends one ticket, then watermarks until it is decided. */
  private PurchaseDecision decide(String eventId, String requestId, long stampMicros) throws InterruptedException {
    stream.onNext(SequenceRequest.newBuilder().setTicketBatch(TicketBatch.newBuilder().addTickets(Ticket.newBuilder()
        .setEventId(eventId).setRequestId(requestId).setUserId("user-" + requestId).setQuantity(1)
        .setArrivalMicros(stampMicros))).build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    long watermarkMicros = stampMicros;
    while (System.nanoTime() < deadline) {
      watermarkMicros = Math.max(System.currentTimeMillis() * 1000, watermarkMicros + 1);
      stream.onNext(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(watermarkMicros)).build());
      SequenceResponse r = received.poll(5, TimeUnit.MILLISECONDS);
      if (r != null && r.hasDecisionBatch()) {
        for (PurchaseDecision d : r.getDecisionBatch().getDecisionsList()) if (d.getRequestId().equals(requestId)) return d;
      }
    }
    throw new AssertionError(requestId + " not decided within 5 s");
  }
}
