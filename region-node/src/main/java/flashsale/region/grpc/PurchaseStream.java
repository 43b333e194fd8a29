package flashsale.region.grpc;

import flashsale.region.core.BuyRequest;
import flashsale.region.transport.ArrivalStamps;
import flashsale.region.transport.InFlightReads;
import flashsale.region.core.Failure;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PurchaseError;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One {@code StreamPurchases} stream: each message is a purchase or a bid taken exactly as a
 * Purchase or PlaceBid call is (stamped at the socket read that carried it), answered on the
 * shared stream with its request_id. A pending purchase costs only the node's own state and a small {@link Answer}, not a
 * gRPC stream of its own.
 *
 * <p>Messages arrive on the decoding thread; answers come from the region loop (decisions) or the
 * decoding thread (refusals before the loop): writes to the stream are serialized on this object.
 *
 * <p>A client that stops reading its answers stops being read: once the stream has not been able
 * to take more answers ({@code isReady}) for {@value #PAUSE_AFTER_NOT_READY_MS} ms, the next
 * purchase is read only when it can again, so its purchases wait in its own HTTP/2 window and the
 * node holds no more than the answers of purchases it had already taken. A moment's backlog (a
 * batch of decisions being written) does not pause it: purchases read then are stamped at their
 * socket read. One read after a pause is stamped when it is taken up, never earlier.
 */
final class PurchaseStream implements StreamObserver<StreamPurchasesRequest> {
  /** The purchase path: a purchase, the read that carried it (empty: stamped now), its answer. */
  interface Taker {
    void take(BuyRequest buy, Optional<InFlightReads.Read> read, StreamObserver<PurchaseResponse> answer);
  }

  private final ServerCallStreamObserver<StreamPurchasesResponse> out;
  private final Taker taker;
  private final StreamAnswerMeter meter;
  /** Purchases taken and not yet answered (guarded by this). */
  private int unanswered;
  /** The client has sent its last purchase (guarded by this). */
  private boolean halfClosed;
  /** Nothing more is written: completed, or the client went away (guarded by this). */
  private boolean ended;
  /** A stream not ready for this long is a client not reading its answers. */
  static final long PAUSE_AFTER_NOT_READY_MS = 100;
  /** No purchase is requested from the client until the stream can take answers again (guarded by this). */
  private boolean awaitingReady;
  /** A purchase came while the stream could take no answers, first at {@link #notReadySinceNanos} (guarded by this). */
  private boolean notReady;
  private long notReadySinceNanos;

  /** Call while gRPC starts the call (inside the service method): it takes over the request flow. */
  PurchaseStream(ServerCallStreamObserver<StreamPurchasesResponse> out, Taker taker, StreamAnswerMeter meter) {
    this.out = out;
    this.taker = taker;
    this.meter = meter;
    // The stream's purchases stay pending for a retry; their answers are dropped once it is gone.
    out.setOnCancelHandler(this::clientGone);
    out.disableAutoRequest();
    out.setOnReadyHandler(this::readyAgain);
    out.request(1);
  }

  @Override
  public void onNext(StreamPurchasesRequest message) {
    // Taken first, on this (decoding) thread and inside the read being decoded: the read's time is the stamp.
    Optional<InFlightReads.Read> read = ArrivalStamps.holdSocketRead();
    synchronized (this) {
      unanswered++;
    }
    if (message.hasPurchase() == message.hasBid()) {
      read.ifPresent(InFlightReads.Read::release);
      String requestId = message.hasBid() ? message.getBid().getRequestId() : message.getPurchase().getRequestId();
      new Answer(requestId).onError(RegionWire.status(Failure.invalidField("purchase",
          "set exactly one of purchase and bid, got " + (message.hasBid() ? "both" : "neither"))));
    } else if (message.hasBid()) {
      PlaceBidRequest bid = message.getBid();
      taker.take(BuyRequest.bid(bid.getEventId(), bid.getUserId(), bid.getRequestId(), bid.getAmountMinor(),
          bid.getCurrencyCode()), read, new Answer(bid.getRequestId()));
    } else {
      PurchaseRequest purchase = message.getPurchase();
      taker.take(RegionWire.buyRequest(purchase), read, new Answer(purchase.getRequestId()));
    }
    requestNext();
  }

  /** The next purchase, as gRPC's automatic flow would ask for it, unless the answers have been backed up a while. */
  private synchronized void requestNext() {
    if (ended) return;
    if (out.isReady()) {
      notReady = false;
      out.request(1);
      return;
    }
    long nowNanos = System.nanoTime();
    if (!notReady) {
      notReady = true;
      notReadySinceNanos = nowNanos;
    }
    if (nowNanos - notReadySinceNanos < TimeUnit.MILLISECONDS.toNanos(PAUSE_AFTER_NOT_READY_MS)) {
      out.request(1);
    } else {
      awaitingReady = true;
    }
  }

  private synchronized void readyAgain() {
    if (ended || !out.isReady()) return;
    notReady = false;
    if (!awaitingReady) return;
    awaitingReady = false;
    out.request(1);
  }

  @Override
  public void onError(Throwable t) {
    clientGone();
  }

  @Override
  public synchronized void onCompleted() {
    halfClosed = true;
    completeIfDone();
  }

  private synchronized void clientGone() {
    ended = true;
  }

  private synchronized void answer(StreamPurchasesResponse response) {
    unanswered--;
    assert unanswered >= 0 : "more answers than purchases";
    if (ended) return;
    try {
      out.onNext(response);
    } catch (RuntimeException e) {
      ended = true; // the call closed under us (cancelled, or the server stopping): nobody to tell
      return;
    }
    completeIfDone();
  }

  private void completeIfDone() {
    if (ended || !halfClosed || unanswered > 0) return;
    ended = true;
    out.onCompleted();
  }

  /** The gRPC status a Purchase call would have ended with, as a message. */
  static PurchaseError error(Throwable t) {
    Status status = Status.fromThrowable(t);
    PurchaseError.Builder error = PurchaseError.newBuilder().setCode(status.getCode().value())
        .setMessage(status.getDescription() == null ? "" : status.getDescription());
    Errors.infoOf(t).ifPresent(info -> error.setReason(info.getReason()).putAllMetadata(info.getMetadataMap()));
    Errors.retryDelayOf(t).ifPresent(delay -> error.setRetryDelay(com.google.protobuf.Duration.newBuilder()
        .setSeconds(delay.getSeconds()).setNanos(delay.getNano())));
    return error.build();
  }

  /**
   * One purchase's answer, as a Purchase call's observer: the first decision or error is written
   * to the stream (a Purchase call ends there too). The purchase path lets go of the socket read
   * on every way out; nothing here holds it, so a pending purchase keeps no read object alive.
   */
  private final class Answer implements StreamObserver<PurchaseResponse>, CallRegistry.Endable {
    private final String requestId;
    private boolean answered;

    Answer(String requestId) {
      this.requestId = requestId;
    }

    @Override
    public void onNext(PurchaseResponse response) {
      finish(StreamPurchasesResponse.newBuilder().setRequestId(requestId).setDecision(response.getDecision()).build());
    }

    @Override
    public void onError(Throwable t) {
      finish(StreamPurchasesResponse.newBuilder().setRequestId(requestId).setError(error(t)).build());
    }

    @Override
    public void onCompleted() {}

    /** Nobody to tell: answered already, or the stream is gone. */
    @Override
    public boolean ended() {
      synchronized (PurchaseStream.this) {
        return answered || ended;
      }
    }

    private void finish(StreamPurchasesResponse response) {
      synchronized (PurchaseStream.this) {
        if (answered) return;
        answered = true;
      }
      meter.answered(response.hasError() ? Status.fromCodeValue(response.getError().getCode()).getCode() : Status.Code.OK);
      answer(response);
    }
  }
}
