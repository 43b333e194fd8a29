package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A purchase, bid or reservation whose region answers nothing, not even the look-up that follows
 * an expired call, still returns within the client's one deadline: the call and its look-up share
 * it, the look-up getting what the call left ({@link FlashSaleClient#lookUpReserve}). And an async
 * purchase the caller cancels ends its call at the region.
 */
class PurchaseDeadlineTest {
  private static final Duration DEADLINE = Duration.ofSeconds(1);

  /** Each call's deadline as the server saw it: absolute, in {@link System#nanoTime()}, by method. */
  private final Map<String, List<Long>> deadlinesSeen = new ConcurrentHashMap<>();
  private final List<io.grpc.stub.ServerCallStreamObserver<PurchaseResponse>> purchaseCalls = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new Silent()).build().start();
    channel = FlashSaleChannels.forTarget(FlashSaleChannels.IN_PROCESS_PREFIX + name);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aPurchaseAndItsLookUpTogetherTakeOneDeadline() {
    FlashSaleClient client = new FlashSaleClient(channel, DEADLINE);
    long startNanos = System.nanoTime();

    var e = assertThrows(FlashSaleException.class, () -> client.purchase("shoes", "alice", "r1", 1));

    long tookNanos = System.nanoTime() - startNanos;
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code(), e.toString());
    assertTrue(e.getMessage().contains("retry with the same request id"), e.getMessage());
    assertWithinOneDeadline("Purchase", startNanos, tookNanos);
  }

  @Test
  void aBidAndItsLookUpTogetherTakeOneDeadline() {
    FlashSaleClient client = new FlashSaleClient(channel, DEADLINE);
    long startNanos = System.nanoTime();

    var e = assertThrows(FlashSaleException.class, () -> client.bid("vase", "alice", "b1", 500, "EUR"));

    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code(), e.toString());
    assertWithinOneDeadline("PlaceBid", startNanos, System.nanoTime() - startNanos);
  }

  @Test
  void anAsyncPurchaseAndItsLookUpTogetherTakeOneDeadline() {
    FlashSaleClient client = new FlashSaleClient(channel, DEADLINE);
    long startNanos = System.nanoTime();

    var e = assertThrows(CompletionException.class, () -> client.purchaseAsync("shoes", "bob", "r2", 1).join());

    assertEquals(Status.Code.DEADLINE_EXCEEDED, FlashSaleException.from(e).code(), e.toString());
    assertWithinOneDeadline("Purchase", startNanos, System.nanoTime() - startNanos);
  }

  private void assertWithinOneDeadline(String call, long startNanos, long tookNanos) {
    long endNanos = startNanos + DEADLINE.toNanos();
    long slackNanos = TimeUnit.MILLISECONDS.toNanos(100); // the server reads its deadline a moment after the start
    assertTrue(deadlinesSeen.containsKey("GetPurchase"), "the look-up reached the region: " + deadlinesSeen.keySet());
    long callEnd = deadlinesSeen.get(call).get(0);
    long lookUpEnd = deadlinesSeen.get("GetPurchase").get(0);
    assertTrue(callEnd <= endNanos - new FlashSaleClient(channel, DEADLINE).lookUpReserve().toNanos() + slackNanos,
        call + " ran until " + (callEnd - startNanos) / 1_000_000 + " ms: it leaves the look-up its reserve");
    assertTrue(lookUpEnd <= endNanos + slackNanos && lookUpEnd > callEnd,
        "the look-up ends " + (lookUpEnd - startNanos) / 1_000_000 + " ms in, within the one deadline");
    // A loose bound on the wall time (the old way took two deadlines, 2 s).
    assertTrue(tookNanos < DEADLINE.toNanos() + TimeUnit.MILLISECONDS.toNanos(500),
        "returned after " + tookNanos / 1_000_000 + " ms, the deadline being " + DEADLINE.toMillis() + " ms");
  }

  /**
   * A region's REQUEST_INCOMPLETE says the whole request never reached it: nothing to look up, and
   * the reason reaches the caller (it used to be looked up, and reported without its reason).
   */
  @Test
  void aRequestTheRegionNeverGotWholeIsNotLookedUpAndKeepsItsReason() {
    FlashSaleClient client = new FlashSaleClient(channel, DEADLINE);
    var e = assertThrows(FlashSaleException.class, () -> client.purchase("shoes", "alice", "incomplete-1", 1));
    var async = FlashSaleException.from(assertThrows(CompletionException.class,
        () -> client.purchaseAsync("shoes", "alice", "incomplete-2", 1).join()));
    for (FlashSaleException failure : List.of(e, async)) {
      assertEquals(Status.Code.DEADLINE_EXCEEDED, failure.code(), failure.toString());
      assertEquals(java.util.Optional.of("REQUEST_INCOMPLETE"), failure.reason(), failure.toString());
    }
    assertTrue(!deadlinesSeen.containsKey("GetPurchase"), "looked up: " + deadlinesSeen.keySet());
  }

  @Test
  void cancellingAnAsyncPurchaseCancelsItsCall() throws Exception {
    FlashSaleClient client = new FlashSaleClient(channel, Duration.ofSeconds(30));
    var result = client.purchaseAsync("shoes", "carol", "r3", 1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (purchaseCalls.isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);

    assertTrue(result.cancel(true));

    var serverSide = purchaseCalls.get(0);
    while (!serverSide.isCancelled() && System.nanoTime() < deadline) Thread.sleep(5);
    assertTrue(serverSide.isCancelled(), "the region no longer holds a call the caller gave up on");
  }

  /** A region that answers nothing: every call waits out its deadline. */
  private final class Silent extends FlashSaleServiceGrpc.FlashSaleServiceImplBase {
    private void seen(String method) {
      long remainingNanos = Context.current().getDeadline().timeRemaining(TimeUnit.NANOSECONDS);
      deadlinesSeen.computeIfAbsent(method, m -> new CopyOnWriteArrayList<>()).add(System.nanoTime() + remainingNanos);
    }

    @Override
    public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
      if (request.getRequestId().startsWith("incomplete")) { // as a region's arrival bound answers
        response.onError(flashsale.wire.Errors.error(flashsale.sale.ErrorReason.REQUEST_INCOMPLETE, "not whole in time",
            Map.of()));
        return;
      }
      seen("Purchase");
      purchaseCalls.add((io.grpc.stub.ServerCallStreamObserver<PurchaseResponse>) response);
    }

    @Override
    public void placeBid(PlaceBidRequest request, StreamObserver<PlaceBidResponse> response) {
      seen("PlaceBid");
    }

    @Override
    public void getPurchase(GetPurchaseRequest request, StreamObserver<GetPurchaseResponse> response) {
      seen("GetPurchase");
    }
  }
}
