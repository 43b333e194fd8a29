package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.AuctionResult;
import flashsale.v1.WatchAuctionResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A watch whose caller left before it was registered holds nothing; a watcher that does not read
 * holds one view, not every change; the region's open watches are bounded.
 */
class AuctionWatchersTest {
  private static final AuctionResult OPEN = AuctionResult.newBuilder().setClosed(false).build();

  /** An open view told apart by its close time (a soft close moves it with each late bid). */
  private static AuctionResult standing(long closeSeconds) {
    return AuctionResult.newBuilder().setClosed(false)
        .setCloseTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(closeSeconds)).build();
  }

  @Test
  void aWatchCancelledDuringItsLookUpIsNotKept() {
    AuctionWatchers watchers = new AuctionWatchers(10);
    Watcher gone = new Watcher(true);
    watchers.watch("gavel", OPEN, gone);
    assertEquals(List.of(), watchers.watchedOpen(), "no auction is watched");
    assertEquals(0, gone.sent.size(), "nothing is sent to a caller that left");
    watchers.forgetEvent("gavel");
    assertEquals(Optional.empty(), watchers.latest("gavel"), "the view goes with the event");

    Watcher live = new Watcher(false);
    watchers.watch("gavel", OPEN, live);
    assertEquals(List.of("gavel"), watchers.watchedOpen());
    assertEquals(1, live.sent.size());
  }

  @Test
  void aWatcherThatDoesNotReadIsSentOnlyTheNewestViewWhenItReadsAgain() {
    AuctionWatchers watchers = new AuctionWatchers(10);
    Watcher stalled = new Watcher(false);
    Watcher reading = new Watcher(false);
    watchers.watch("gavel", standing(100), stalled);
    watchers.watch("gavel", standing(100), reading);
    stalled.ready = false;
    for (long amount = 101; amount <= 1_100; amount++) watchers.changed("gavel", standing(amount));
    assertEquals(1_001, reading.sent.size(), "a reading watcher sees every change");
    assertEquals(1, stalled.sent.size(), "nothing more is queued for a stream that is not ready");

    stalled.ready = true;
    watchers.ready("gavel", stalled);
    assertEquals(2, stalled.sent.size());
    assertEquals(1_100, stalled.sent.get(1).getAuction().getCloseTime().getSeconds(), "the newest view, not the next");
    watchers.ready("gavel", stalled);
    assertEquals(2, stalled.sent.size(), "a view is sent once");

    stalled.ready = false;
    watchers.changed("gavel", AuctionResult.newBuilder().setClosed(true).build());
    assertTrue(reading.completed, "a reading watcher's stream ends with the result");
    assertFalse(stalled.completed, "not before the stalled one could take the result");
    assertEquals(List.of(), watchers.watchedOpen(), "the result is known: nothing to ask for");
    stalled.ready = true;
    watchers.ready("gavel", stalled);
    assertTrue(stalled.sent.get(2).getAuction().getClosed());
    assertTrue(stalled.completed, "the result ends the stalled stream once it reads");
  }

  /** A view sent directly once the stream was ready again is never followed by the older one it kept. */
  @Test
  void aKeptViewIsNotSentAfterANewerOneWentOutFirst() {
    AuctionWatchers watchers = new AuctionWatchers(10);
    Watcher watcher = new Watcher(false);
    watchers.watch("gavel", standing(1), watcher);
    watcher.ready = false;
    watchers.changed("gavel", standing(2)); // kept
    watcher.ready = true; // the stream drained; its on-ready task is still queued behind the next change
    watchers.changed("gavel", standing(3));
    watchers.ready("gavel", watcher);
    assertEquals(List.of(1L, 3L), watcher.sent.stream().map(r -> r.getAuction().getCloseTime().getSeconds()).toList());
  }

  @Test
  void aRegionTakesAtMostItsBoundOfOpenWatches() {
    AuctionWatchers watchers = new AuctionWatchers(2);
    Watcher first = new Watcher(false);
    watchers.watch("gavel", OPEN, first);
    watchers.watch("hammer", OPEN, new Watcher(false));
    Watcher third = new Watcher(false);
    watchers.watch("gavel", OPEN, third);
    assertNotNull(third.error, "a third watch is refused");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(third.error).getCode());
    assertEquals(0, third.sent.size());

    watchers.forget("gavel", first);
    Watcher fourth = new Watcher(false);
    watchers.watch("gavel", OPEN, fourth);
    assertEquals(null, fourth.error, "a watch that went away frees its place");
    watchers.changed("gavel", AuctionResult.newBuilder().setClosed(true).build());
    Watcher fifth = new Watcher(false);
    watchers.watch("hammer", OPEN, fifth);
    assertEquals(null, fifth.error, "a watch sent its result frees its place");
  }

  /** A server call's observer that is cancelled or not; onNext after a cancel is silent, as with a cancel handler set. */
  private static final class Watcher extends ServerCallStreamObserver<WatchAuctionResponse> {
    private final boolean cancelled;
    final List<WatchAuctionResponse> sent = new ArrayList<>();
    boolean ready = true;
    boolean completed;
    Throwable error;

    Watcher(boolean cancelled) {
      this.cancelled = cancelled;
    }

    @Override public boolean isCancelled() { return cancelled; }
    @Override public void setOnCancelHandler(Runnable onCancelHandler) {}
    @Override public void setCompression(String compression) {}
    @Override public boolean isReady() { return ready; }
    @Override public void setOnReadyHandler(Runnable onReadyHandler) {}
    @Override public void disableAutoInboundFlowControl() {}
    @Override public void request(int count) {}
    @Override public void setMessageCompression(boolean enable) {}
    @Override public void onNext(WatchAuctionResponse value) {
      if (!cancelled) sent.add(value);
    }
    @Override public void onError(Throwable t) { error = t; }
    @Override public void onCompleted() { completed = true; }
  }
}
