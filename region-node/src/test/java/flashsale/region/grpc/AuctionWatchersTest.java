package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.v1.AuctionResult;
import flashsale.v1.WatchAuctionResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A watch whose caller left before it was registered holds nothing: the auction's view can go with its event. */
class AuctionWatchersTest {
  private static final AuctionResult OPEN = AuctionResult.newBuilder().setClosed(false).build();

  @Test
  void aWatchCancelledDuringItsLookUpIsNotKept() {
    AuctionWatchers watchers = new AuctionWatchers();
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

  /** A server call's observer that is cancelled or not; onNext after a cancel is silent, as with a cancel handler set. */
  private static final class Watcher extends ServerCallStreamObserver<WatchAuctionResponse> {
    private final boolean cancelled;
    final List<WatchAuctionResponse> sent = new ArrayList<>();

    Watcher(boolean cancelled) {
      this.cancelled = cancelled;
    }

    @Override public boolean isCancelled() { return cancelled; }
    @Override public void setOnCancelHandler(Runnable onCancelHandler) {}
    @Override public void setCompression(String compression) {}
    @Override public boolean isReady() { return true; }
    @Override public void setOnReadyHandler(Runnable onReadyHandler) {}
    @Override public void disableAutoInboundFlowControl() {}
    @Override public void request(int count) {}
    @Override public void setMessageCompression(boolean enable) {}
    @Override public void onNext(WatchAuctionResponse value) {
      if (!cancelled) sent.add(value);
    }
    @Override public void onError(Throwable t) {}
    @Override public void onCompleted() {}
  }
}
