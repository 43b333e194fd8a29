package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.store.testing.RedisServer;
import flashsale.system.CliAgainstClusterTest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.v1.RegionStatus;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A purchase the arbiter holds undecided while the region that stamped it restarts: the restarted
 * region has forgotten it, yet {@code GetPurchase} there (and {@code flashsale status}) says
 * pending, with the original stamp, by asking the arbiter; once decided, it says how. Real
 * processes: one arbiter that never leaves a silent region out (so a paused west holds the
 * frontier), regions east and west.
 */
class PendingAtArbiterStatusTest {
  static final String EVENT = "held-at-arbiter";
  static final long WAIT_MS = 60_000; // cold JVMs on a loaded 2-core box take 10-25 s to start

  private RedisServer redis;
  private ArbiterProcess arbiter;
  private RegionProcess east;
  private RegionProcess west;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    for (AutoCloseable c : new AutoCloseable[] {east, west, arbiter, redis}) if (c != null) c.close();
  }

  @Test
  void aRestartedRegionSaysPendingForATicketTheArbiterHoldsThenHowItWasDecided() throws Exception {
    redis = RedisServer.start(true);
    arbiter = new ArbiterProcess("arb-held", redis.uri(), 0).start();
    east = new RegionProcess("east", List.of(arbiter.address())).start();
    west = new RegionProcess("west", List.of(arbiter.address())).start();
    awaitRegion("east", RegionStatus::getConnected, "connected");
    awaitRegion("west", RegionStatus::getConnected, "connected");
    east.awaitServing(java.time.Duration.ofSeconds(30));
    west.awaitServing(java.time.Duration.ofSeconds(30));
    createEvent();

    west.pause(); // west's watermark stops: the arbiter holds east's ticket undecided
    FlashSaleServiceGrpc.newStub(channel(east.address())).purchase(PurchaseRequest.newBuilder().setEventId(EVENT)
        .setUserId("ann").setRequestId("held-1").setQuantity(1).build(), ignore());
    GetPurchaseResponse atEast = awaitPurchase(east, r -> r.getState() == PurchaseState.PURCHASE_STATE_PENDING, "pending at east");
    // East sends its tickets before any later watermark: once the arbiter's watermark for east has
    // passed the stamp, the arbiter holds the ticket (before that, a kill could lose it unsent).
    long stampMicros = Times.micros(atEast.getArrivalTime());
    awaitRegion("east", s -> Times.micros(s.getWatermarkTime()) >= stampMicros, "past the ticket's stamp");

    east.kill();
    // Until the arbiter has seen the old stream end, "connected" below could still be the killed one's.
    awaitRegion("east", s -> !s.getConnected(), "the killed east's stream gone");
    east.start();
    awaitRegion("east", s -> s.getConnected() && !s.getTimedOut(), "reconnected after restart");
    GetPurchaseResponse afterRestart = getPurchase(east, "held-1");
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, afterRestart.getState(), "the restarted east asks the arbiter: " + afterRestart);
    assertEquals(atEast.getArrivalTime(), afterRestart.getArrivalTime(), "the arbiter reports east's original stamp");
    var cli = CliAgainstClusterTest.flashsale("status", "--target", east.address(), "--event", EVENT, "held-1");
    assertEquals(flashsale.client.cli.ExitCodes.UNDECIDED, cli.exitCode(), cli.out() + cli.err());
    assertTrue(cli.out().startsWith("PENDING request held-1"), "flashsale status says pending: " + cli.out());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> getPurchase(east, "never-sent"));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    assertEquals("PURCHASE_NOT_FOUND", Errors.reasonOf(unknown).orElseThrow());

    west.resume();
    GetPurchaseResponse decided = awaitPurchase(east, r -> r.getState() == PurchaseState.PURCHASE_STATE_DECIDED, "decided");
    assertEquals(Outcome.OUTCOME_WON, decided.getDecision().getOutcome(), decided.toString());
    System.out.printf("pending at the arbiter across east's restart: stamp %s kept, CLI said %s; decided %s after west resumed%n",
        Times.micros(afterRestart.getArrivalTime()), cli.out().strip(), decided.getDecision().getOutcome());
  }

  private ManagedChannel channel(String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  private void createEvent() {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(EVENT).setItem("sneakers").setStock(5)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addRegions("east").addRegions("west").setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    EventAdminServiceGrpc.newBlockingStub(channel(arbiter.address())).withDeadlineAfter(5, TimeUnit.SECONDS)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + EVENT).setEvent(event).build());
  }

  private GetPurchaseResponse getPurchase(RegionProcess region, String requestId) {
    return FlashSaleServiceGrpc.newBlockingStub(channel(region.address())).withDeadlineAfter(5, TimeUnit.SECONDS)
        .getPurchase(GetPurchaseRequest.newBuilder().setEventId(EVENT).setRequestId(requestId).build());
  }

  private GetPurchaseResponse awaitPurchase(RegionProcess region, Predicate<GetPurchaseResponse> state, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    Object last = null;
    while (System.nanoTime() < deadline) {
      try {
        GetPurchaseResponse r = getPurchase(region, "held-1");
        if (state.test(r)) return r;
        last = r;
      } catch (StatusRuntimeException e) {
        last = e.getStatus(); // the purchase may not have reached the region yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError("held-1 never " + what + " in " + WAIT_MS + " ms; last " + last);
  }

  private void awaitRegion(String region, Predicate<RegionStatus> state, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    RegionStatus last = null;
    while (System.nanoTime() < deadline) {
      try {
        for (RegionStatus s : EventAdminServiceGrpc.newBlockingStub(channel(arbiter.address()))
            .withDeadlineAfter(2, TimeUnit.SECONDS).listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList()) {
          if (s.getRegion().equals(region)) last = s;
        }
        if (last != null && state.test(last)) return;
      } catch (StatusRuntimeException e) {
        // starting; ask again
      }
      Thread.sleep(50);
    }
    throw new AssertionError("region " + region + " never " + what + " in " + WAIT_MS + " ms; last " + last);
  }

  private static StreamObserver<PurchaseResponse> ignore() {
    return new StreamObserver<>() {
      @Override public void onNext(PurchaseResponse value) {}
      @Override public void onError(Throwable t) {}
      @Override public void onCompleted() {}
    };
  }
}
