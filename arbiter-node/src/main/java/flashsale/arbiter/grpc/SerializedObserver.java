package flashsale.arbiter.grpc;

import io.grpc.stub.StreamObserver;

/**
 * A response stream two threads may write: the sequencer loop (decisions, announcements) and the
 * stream's own gRPC thread (clock replies while the loop works through a backlog). gRPC requires
 * one writer at a time; after the stream ends, further writes are dropped rather than thrown.
 */
final class SerializedObserver<T> implements StreamObserver<T> {
  private final StreamObserver<T> delegate;
  private boolean ended;

  SerializedObserver(StreamObserver<T> delegate) {
    this.delegate = delegate;
  }

  @Override
  public synchronized void onNext(T value) {
    if (!ended) delegate.onNext(value);
  }

  /** gRPC's readiness of the call: false while its transport queues what it is sent (true for a plain observer). */
  synchronized boolean isReady() {
    return !(delegate instanceof io.grpc.stub.CallStreamObserver<?> call) || ended || call.isReady();
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (ended) return;
    ended = true;
    delegate.onError(t);
  }

  @Override
  public synchronized void onCompleted() {
    if (ended) return;
    ended = true;
    delegate.onCompleted();
  }
}
