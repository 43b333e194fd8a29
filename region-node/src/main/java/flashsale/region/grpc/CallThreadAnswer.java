package flashsale.region.grpc;

import flashsale.region.core.Admission;
import flashsale.region.core.Failure;
import flashsale.region.transport.DecodingThread;
import flashsale.v1.PurchaseResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A purchase call's answer, decided on the region loop and built and written on the call's own
 * decoding thread. Building a refusal's status (its ErrorInfo and RetryInfo) and writing a call's
 * message and trailers cost the loop most of its time while one user was refused 3,000 times a
 * second (a JFR profile of {@code bench-abuser}): the loop stamps every purchase, and the crowd's
 * stamps and decisions waited behind that work. Answers of one call keep their order: one thread.
 */
final class CallThreadAnswer implements StreamObserver<PurchaseResponse> {
  private static final Logger log = LoggerFactory.getLogger(CallThreadAnswer.class);

  private final StreamObserver<PurchaseResponse> call;
  private final Executor callThread;

  private CallThreadAnswer(StreamObserver<PurchaseResponse> call, Executor callThread) {
    this.call = call;
    this.callThread = callThread;
  }

  /** {@code call}, answered on the decoding thread running now; {@code call} itself off a decoding thread. */
  static StreamObserver<PurchaseResponse> onCurrentThread(StreamObserver<PurchaseResponse> call) {
    return DecodingThread.current().<StreamObserver<PurchaseResponse>>map(thread -> new CallThreadAnswer(call, thread))
        .orElse(call);
  }

  /** The call this answers. */
  StreamObserver<PurchaseResponse> call() {
    return call;
  }

  /** Settles {@code call} with {@code result}, built on the call's thread when it has one. */
  static void settle(StreamObserver<PurchaseResponse> call, Admission.Settled result) {
    if (call instanceof CallThreadAnswer handed) {
      handed.run(() -> CallRegistry.settle(handed.call, result));
    } else {
      CallRegistry.settle(call, result);
    }
  }

  /** Fails {@code call} with {@code failure}, its status built on the call's thread when it has one. */
  static void fail(StreamObserver<PurchaseResponse> call, Failure failure) {
    settle(call, new Admission.Failed(failure));
  }

  @Override
  public void onNext(PurchaseResponse value) {
    run(() -> call.onNext(value));
  }

  @Override
  public void onError(Throwable t) {
    run(() -> call.onError(t));
  }

  @Override
  public void onCompleted() {
    run(call::onCompleted);
  }

  private void run(Runnable answer) {
    Runnable guarded = () -> {
      try {
        answer.run();
      } catch (RuntimeException e) {
        // The client cancelled in the meantime; nobody is left to tell.
        log.debug("purchase answer failed error=\"{}\"", e.toString());
      }
    };
    if (DecodingThread.runsOn(callThread)) { // answered before the loop: already on the call's thread
      guarded.run();
      return;
    }
    try {
      callThread.execute(guarded);
    } catch (RejectedExecutionException e) {
      guarded.run(); // the transport is stopping: answer here, as before the hand-off
    }
  }
}
