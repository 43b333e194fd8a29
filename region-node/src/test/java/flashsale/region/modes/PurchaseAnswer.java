package flashsale.region.modes;

import flashsale.v1.PurchaseResponse;
import flashsale.wire.Errors;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Collects one Purchase call's answer, as a seller gives it to the call. */
final class PurchaseAnswer implements StreamObserver<PurchaseResponse> {
  final CompletableFuture<PurchaseResponse> done = new CompletableFuture<>();

  @Override
  public void onNext(PurchaseResponse value) {
    done.complete(value);
  }

  @Override
  public void onError(Throwable t) {
    done.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {}

  /** The failure's ErrorInfo reason, {@code "answered"} for a decision. */
  String reason() {
    try {
      done.join();
      return "answered";
    } catch (java.util.concurrent.CompletionException e) {
      return Errors.reasonOf(e.getCause()).orElse("<none>");
    }
  }

  /** The failure the call ended with within {@code timeoutMs}; an AssertionError if it was answered. */
  Throwable failure(long timeoutMs) throws Exception {
    try {
      PurchaseResponse answered = done.get(timeoutMs, TimeUnit.MILLISECONDS);
      throw new AssertionError("answered " + answered);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
