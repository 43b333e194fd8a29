package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import flashsale.v1.PlaceBidResponse;
import io.grpc.stub.ServerCallStreamObserver;
import org.junit.jupiter.api.Test;

/**
 * A bid's call is let go once its caller cancelled, as a purchase's is: cancelled bids do not
 * keep the places of a request id, so a retry of the bid still waits for its decision.
 */
class CallRegistryBidTest {

  @Test
  void cancelledBidCallsDoNotKeepTheRequestIdsPlaces() {
    CallRegistry calls = new CallRegistry();
    for (int i = 0; i < CallRegistry.MAX_CALLS_PER_PURCHASE; i++) {
      BidCall gone = new BidCall();
      calls.await("bid-1", new FlashSaleServiceImpl.BidAnswer(gone));
      gone.cancelled = true; // the caller gave up after the call was parked
    }
    BidCall retry = new BidCall();
    calls.await("bid-1", new FlashSaleServiceImpl.BidAnswer(retry));
    assertNull(retry.error, "the retry waits in a place the cancelled calls let go");
    assertEquals(1, calls.waitingCalls(), "only the retry waits");

    BidCall cancelledFirst = new BidCall();
    cancelledFirst.cancelled = true;
    calls.await("bid-2", new FlashSaleServiceImpl.BidAnswer(cancelledFirst));
    assertEquals(1, calls.waitingCalls(), "a bid cancelled before it was parked is not parked");
  }

  /** A PlaceBid call's observer the test can cancel. */
  private static final class BidCall extends ServerCallStreamObserver<PlaceBidResponse> {
    boolean cancelled;
    Throwable error;

    @Override public boolean isCancelled() { return cancelled; }
    @Override public void setOnCancelHandler(Runnable onCancelHandler) {}
    @Override public void setCompression(String compression) {}
    @Override public boolean isReady() { return true; }
    @Override public void setOnReadyHandler(Runnable onReadyHandler) {}
    @Override public void disableAutoInboundFlowControl() {}
    @Override public void request(int count) {}
    @Override public void setMessageCompression(boolean enable) {}
    @Override public void onNext(PlaceBidResponse value) {}
    @Override public void onError(Throwable t) { error = t; }
    @Override public void onCompleted() {}
  }
}
