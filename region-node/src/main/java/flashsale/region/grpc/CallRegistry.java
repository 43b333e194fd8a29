package flashsale.region.grpc;

import flashsale.region.core.Completion;
import flashsale.region.core.Failure;
import flashsale.region.core.Admission;
import flashsale.v1.PurchaseResponse;
import flashsale.region.core.BuyerLimits;
import flashsale.sale.ErrorReason;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open Purchase calls waiting for a decision, by request_id (several when a client retried
 * while the first call was still open, at most {@value #MAX_CALLS_PER_PURCHASE} that a client can
 * still hear: a retry beyond is refused at once, so one client resending a pending purchase cannot
 * grow the node's memory, nor the work of answering it, without end; watches wait beside them). Loop-owned. Once closed for shutdown, every waiting call
 * and every later one fails with the closing failure.
 */
final class CallRegistry {
  private static final Logger log = LoggerFactory.getLogger(CallRegistry.class);
  /** Calls that may wait for one purchase: its first and a client's retries (a gone one leaves). */
  static final int MAX_CALLS_PER_PURCHASE = 16;
  /** When a turned-away retry may come again: the calls ahead of it end by their deadlines or answers. */
  private static final long RETRY_AFTER_MS = 1_000;

  private final Map<String, List<StreamObserver<PurchaseResponse>>> waiting = new HashMap<>();
  private Failure closedWith;

  /** Parks a call until its request is decided. */
  void await(String requestId, StreamObserver<PurchaseResponse> call) {
    if (closedWith != null) {
      CallThreadAnswer.settle(call, new Admission.Failed(closedWith));
      return;
    }
    if (gone(call)) return; // cancelled while its event was looked up: its forget came first
    List<StreamObserver<PurchaseResponse>> calls = waiting.computeIfAbsent(requestId, k -> new ArrayList<>(1));
    if (!(call instanceof Watching) && full(calls)) calls.removeIf(CallRegistry::gone);
    if (!(call instanceof Watching) && full(calls)) {
      CallThreadAnswer.settle(call, new Admission.Failed(new Failure(ErrorReason.TOO_MANY_PENDING, calls.size()
          + " calls already wait for purchase " + requestId + "; retry with the same request_id once one ends",
          Map.of(BuyerLimits.RETRY_DELAY_MS, Long.toString(RETRY_AFTER_MS)))));
      return;
    }
    calls.add(call);
  }

  /** A call that knows when nobody is left to tell: a stream's purchase, once its stream ended. */
  interface Endable {
    boolean ended();
  }

  /** A watch's call: it waits beside the purchase's calls without taking one of their places (watches have a node-wide cap). */
  interface Watching {}

  /** A call nobody is left to tell: a Purchase call the client cancelled, a stream's purchase once the stream ended. */
  private static boolean gone(StreamObserver<PurchaseResponse> call) {
    StreamObserver<?> grpcCall = call instanceof CallThreadAnswer handed ? handed.call() : call;
    if (grpcCall instanceof Endable endable) return endable.ended();
    return grpcCall instanceof ServerCallStreamObserver<?> open && open.isCancelled();
  }

  /** Every place taken by a call (watches aside); counted only once the list is that long. */
  private static boolean full(List<StreamObserver<PurchaseResponse>> calls) {
    return calls.size() >= MAX_CALLS_PER_PURCHASE
        && calls.stream().filter(c -> !(c instanceof Watching)).count() >= MAX_CALLS_PER_PURCHASE;
  }

  /** The client gave up on this call; the purchase itself stays pending for retries. */
  void forget(String requestId, StreamObserver<PurchaseResponse> call) {
    List<StreamObserver<PurchaseResponse>> calls = waiting.get(requestId);
    if (calls != null && calls.remove(call) && calls.isEmpty()) waiting.remove(requestId);
  }

  void complete(Completion completion) {
    List<StreamObserver<PurchaseResponse>> calls = waiting.remove(completion.requestId());
    if (calls == null) return;
    for (StreamObserver<PurchaseResponse> call : calls) CallThreadAnswer.settle(call, completion.result());
  }

  void completeAll(List<Completion> completions) {
    completions.forEach(this::complete);
  }

  /** Fails every waiting call and every later one with {@code failure}; returns how many waited. */
  int close(Failure failure) {
    closedWith = failure;
    int failed = 0;
    for (List<StreamObserver<PurchaseResponse>> calls : waiting.values()) {
      for (StreamObserver<PurchaseResponse> call : calls) {
        CallThreadAnswer.settle(call, new Admission.Failed(failure));
        failed++;
      }
    }
    waiting.clear();
    return failed;
  }

  Optional<Failure> closedWith() {
    return Optional.ofNullable(closedWith);
  }

  int waitingCalls() {
    return waiting.values().stream().mapToInt(List::size).sum();
  }

  static void settle(StreamObserver<PurchaseResponse> call, Admission.Settled result) {
    try {
      switch (result) {
        case Admission.Decided d -> {
          call.onNext(PurchaseResponse.newBuilder().setDecision(RegionWire.toProto(d.answer())).build());
          call.onCompleted();
        }
        case Admission.Failed f -> call.onError(RegionWire.status(f.failure()));
      }
    } catch (RuntimeException e) {
      // The client cancelled in the meantime; nobody is left to tell.
      log.debug("purchase answer failed error=\"{}\"", e.toString());
    }
  }
}
