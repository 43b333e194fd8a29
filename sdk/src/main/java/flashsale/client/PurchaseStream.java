package flashsale.client;

import flashsale.v1.PurchaseError;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Many purchases on one {@code StreamPurchases} stream, for a service that buys on behalf of many
 * buyers: each purchase is stamped and ranked as a Purchase call is, and its future completes with
 * its decision, or fails with the {@link FlashSaleException} a Purchase call would have thrown.
 * If the stream breaks, every purchase not yet answered fails with the stream's status; each stays
 * pending at the region, so send it again (here or on a new stream) with the same request id for
 * the same decision, or look it up with {@link FlashSaleClient#getPurchase}. Thread-safe.
 */
public final class PurchaseStream implements AutoCloseable {
  private final Object lock = new Object();
  /** Futures waiting for an answer, by request id (several when one id was sent more than once). */
  private final Map<String, List<CompletableFuture<PurchaseResult>>> waiting = new HashMap<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private ClientCallStreamObserver<StreamPurchasesRequest> requests;
  private FlashSaleException brokenWith;
  private boolean closed;

  PurchaseStream() {}

  /** What the stub is given: it hands over the request side, then the answers. */
  ClientResponseObserver<StreamPurchasesRequest, StreamPurchasesResponse> observer() {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<StreamPurchasesRequest> requestStream) {
        requests = requestStream;
      }

      @Override
      public void onNext(StreamPurchasesResponse answer) {
        CompletableFuture<PurchaseResult> future;
        synchronized (lock) {
          List<CompletableFuture<PurchaseResult>> futures = waiting.get(answer.getRequestId());
          if (futures == null) return; // not sent on this stream: nothing waits for it
          future = futures.remove(0);
          if (futures.isEmpty()) waiting.remove(answer.getRequestId());
        }
        if (answer.hasDecision()) {
          future.complete(new PurchaseResult.Decided(answer.getDecision()));
        } else {
          future.completeExceptionally(failure(answer.getError()));
        }
      }

      @Override
      public void onError(Throwable t) {
        end(FlashSaleException.from(t));
      }

      @Override
      public void onCompleted() {
        end(null);
      }
    };
  }

  /** Buys {@code quantity} units (all or nothing); retrying with the same {@code requestId} returns the first decision. */
  public CompletableFuture<PurchaseResult> purchase(String eventId, String userId, String requestId, int quantity) {
    return purchase(PurchaseRequest.newBuilder().setEventId(eventId).setUserId(userId).setRequestId(requestId)
        .setQuantity(quantity).build());
  }

  /** Sends one purchase as it is (reservation slots included). */
  public CompletableFuture<PurchaseResult> purchase(PurchaseRequest purchase) {
    CompletableFuture<PurchaseResult> future = new CompletableFuture<>();
    synchronized (lock) {
      if (brokenWith != null) return CompletableFuture.failedFuture(brokenWith);
      if (closed) throw new IllegalStateException("the stream is closed: no more purchases on it");
      waiting.computeIfAbsent(purchase.getRequestId(), id -> new ArrayList<>(1)).add(future);
      // gRPC's stream is not thread-safe: sends are serialized here.
      requests.onNext(StreamPurchasesRequest.newBuilder().setPurchase(purchase).build());
    }
    return future;
  }

  /** Completes when the server has ended the stream: normally once closed and every purchase answered. */
  public CompletableFuture<Void> ended() {
    return ended;
  }

  /** Sends no more purchases; the stream ends once every one sent is answered. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed || brokenWith != null) return;
      closed = true;
      requests.onCompleted();
    }
  }

  /** Gives up on the stream now: unanswered purchases fail here (CANCELLED) and stay pending at the region. */
  public void cancel() {
    requests.cancel("cancelled by the client", null);
  }

  private void end(FlashSaleException failure) {
    List<CompletableFuture<PurchaseResult>> unanswered = new ArrayList<>();
    FlashSaleException cause = failure != null ? failure
        : new FlashSaleException(Status.Code.INTERNAL, "", "the stream ended with this purchase unanswered", null);
    synchronized (lock) {
      brokenWith = cause;
      waiting.values().forEach(unanswered::addAll);
      waiting.clear();
    }
    unanswered.forEach(f -> f.completeExceptionally(cause));
    if (failure == null) ended.complete(null); else ended.completeExceptionally(failure);
  }

  private static FlashSaleException failure(PurchaseError error) {
    return new FlashSaleException(Status.fromCodeValue(error.getCode()).getCode(), error.getReason(), error.getMessage(),
        error.getMetadataMap(), null);
  }
}
