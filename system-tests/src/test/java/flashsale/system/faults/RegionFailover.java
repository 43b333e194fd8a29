package flashsale.system.faults;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * A buyer's failover between regions, as the contract asks of clients: a Purchase that ends
 * UNAVAILABLE at its home region (the node died with the call pending, or is down) is sent again,
 * same request and request_id, under the same deadline, to a fallback region; the caller sees only
 * the fallback's answer. Records per retried request what the retry got, so a test can tell
 * recorded decisions (the ticket had reached the arbiter) from fresh stamps at the fallback.
 */
final class RegionFailover implements ClientInterceptor {
  /** What one retried Purchase got at the fallback. */
  enum Retry { PENDING, RECORDED_DECISION, FRESH_STAMP, FAILED }

  /** A retried Purchase: when its first call started (nanoTime) and what the retry got. */
  record Retried(long startNanos, Retry outcome) {}

  private final String homeRegion;
  private final Channel fallback;
  private final ConcurrentMap<String, Retried> retried = new ConcurrentHashMap<>();

  RegionFailover(String homeRegion, Channel fallback) {
    this.homeRegion = homeRegion;
    this.fallback = fallback;
  }

  /** Every retried request id with its outcome. */
  ConcurrentMap<String, Retried> retried() {
    return retried;
  }

  /** The retried request ids whose first call started before {@code nanos} (were pending then). */
  List<String> startedBefore(long nanos) {
    return retried.entrySet().stream().filter(e -> e.getValue().startNanos() - nanos < 0).map(Map.Entry::getKey).toList();
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel home) {
    ClientCall<Q, R> first = home.newCall(method, options);
    if (method != FlashSaleServiceGrpc.getPurchaseMethod()) return first;
    return new FailoverCall<>(first, () -> fallback.newCall(method, options));
  }

  private Retry classify(Object message) {
    if (!(message instanceof PurchaseResponse r)) return Retry.FAILED;
    return r.getDecision().getRegion().equals(homeRegion) ? Retry.RECORDED_DECISION : Retry.FRESH_STAMP;
  }

  /**
   * One Purchase: the home call, replaced by a fallback call if the home call ends UNAVAILABLE.
   * A Purchase is unary, so the call is only placed at half-close, once the request is known: a
   * channel that fails at once cannot report the failure before there is something to resend.
   */
  private final class FailoverCall<Q, R> extends ClientCall<Q, R> {
    private final long startNanos = System.nanoTime();
    private final ClientCall<Q, R> homeCall;
    private final Supplier<ClientCall<Q, R>> fallbackCall;
    private volatile ClientCall<Q, R> current;
    private Listener<R> listener;
    private Metadata headers;
    private Q request;
    private String requestId;
    private int requested;

    FailoverCall(ClientCall<Q, R> homeCall, Supplier<ClientCall<Q, R>> fallbackCall) {
      this.homeCall = homeCall;
      this.fallbackCall = fallbackCall;
    }

    @Override
    public void start(Listener<R> responseListener, Metadata headers) {
      this.listener = responseListener;
      this.headers = headers;
    }

    @Override
    public void request(int numMessages) {
      requested += numMessages;
      if (current != null) current.request(numMessages);
    }

    @Override
    public void sendMessage(Q message) {
      request = message;
      requestId = ((PurchaseRequest) message).getRequestId();
    }

    @Override
    public void halfClose() {
      place(homeCall, headers, false);
    }

    @Override
    public void cancel(String message, Throwable cause) {
      ClientCall<Q, R> call = current;
      if (call != null) call.cancel(message, cause);
    }

    private void place(ClientCall<Q, R> call, Metadata callHeaders, boolean isRetry) {
      current = call;
      call.start(new Relay(isRetry), callHeaders);
      call.request(requested);
      call.sendMessage(request);
      call.halfClose();
    }

    private void retry() {
      retried.put(requestId, new Retried(startNanos, Retry.PENDING));
      place(fallbackCall.get(), new Metadata(), true);
    }

    /** Passes the answer on; on the home call's UNAVAILABLE, retries instead of closing. */
    private final class Relay extends Listener<R> {
      private final boolean isRetry;

      Relay(boolean isRetry) {
        this.isRetry = isRetry;
      }

      @Override
      public void onHeaders(Metadata headers) {
        listener.onHeaders(headers);
      }

      @Override
      public void onMessage(R message) {
        if (isRetry) retried.put(requestId, new Retried(startNanos, classify(message)));
        listener.onMessage(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!isRetry && status.getCode() == Status.Code.UNAVAILABLE) {
          retry();
          return;
        }
        if (isRetry && !status.isOk()) retried.put(requestId, new Retried(startNanos, Retry.FAILED));
        listener.onClose(status, trailers);
      }

      @Override
      public void onReady() {
        listener.onReady();
      }
    }
  }
}
