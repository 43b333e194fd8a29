package flashsale.client;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Plumbing the two clients share: per-call deadlines, error translation and future adapters. */
final class Calls {
  private Calls() {}

  /** A stub whose next call must finish within {@code deadline}; a deadline is fixed per call. */
  static <S extends AbstractStub<S>> S withDeadline(S stub, Duration deadline) {
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Runs a blocking call, turning a gRPC failure into a {@link FlashSaleException}. */
  static <T> T blocking(Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      throw FlashSaleException.from(e);
    }
  }

  /**
   * A future that an async stub completes; failures arrive as {@link FlashSaleException}.
   * Cancelling it cancels the call.
   */
  static final class Observer<T> extends CompletableFuture<T> implements ClientResponseObserver<Object, T> {
    private T value;
    private volatile ClientCallStreamObserver<Object> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
      call = requestStream;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      ClientCallStreamObserver<Object> started = call;
      if (cancelled && started != null) started.cancel("cancelled by the caller", null);
      return cancelled;
    }

    @Override
    public void onNext(T next) {
      value = next;
    }

    @Override
    public void onError(Throwable t) {
      completeExceptionally(FlashSaleException.from(t));
    }

    @Override
    public void onCompleted() {
      if (value == null) {
        // A unary call that completes without a message breaks the gRPC contract.
        completeExceptionally(new IllegalStateException("unary call completed without a response"));
      } else {
        complete(value);
      }
    }
  }
}
