package flashsale.net;

import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Closes a call whose one request message has not arrived whole (the message and the end of its
 * stream) within {@code timeoutMs} of its headers, with {@code DEADLINE_EXCEEDED
 * REQUEST_INCOMPLETE}. Without it a client could open calls, send their HEADERS alone (or a message
 * without its END_STREAM) and never more: each call held its place and its memory until its own
 * deadline, which such a client does not send, or until the connection aged out (an hour).
 *
 * <p>Only methods with one request message are bounded; a client stream ({@code StreamPurchases})
 * may rightly stay quiet until its sale starts. The timer runs on the thread that runs the call's
 * callbacks ({@code callThread}, a decoding thread with a direct executor), so its close never
 * races the call's own answer; where a call has no such thread (in-process tests) it is not
 * bounded. The timer is cancelled when the request is whole, so a pending call holds none.
 */
public final class IncompleteRequests implements ServerInterceptor {
  /** Far beyond a request's honest arrival, which flow control can delay only while the node decodes what came before it. */
  public static final long DEFAULT_TIMEOUT_MS = 10_000;
  private static final ProtocolLog log = ProtocolLog.of(IncompleteRequests.class);

  private final long timeoutMs;
  private final Supplier<Optional<ScheduledExecutorService>> callThread;

  /**
   * @param timeoutMs how long a call's request may take to arrive whole after its headers; 0 never closes one
   * @param callThread the thread running the current call's callbacks, as a scheduler; empty where there is none
   */
  public IncompleteRequests(long timeoutMs, Supplier<Optional<ScheduledExecutorService>> callThread) {
    if (timeoutMs < 0) throw new IllegalArgumentException("request arrival timeout must be 0 (off) or more ms, got " + timeoutMs);
    this.timeoutMs = timeoutMs;
    this.callThread = callThread;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> listener = next.startCall(call, headers);
    MethodType type = call.getMethodDescriptor().getType();
    boolean oneRequest = type == MethodType.UNARY || type == MethodType.SERVER_STREAMING;
    if (timeoutMs == 0 || !oneRequest) return listener;
    Optional<ScheduledExecutorService> thread = callThread.get();
    if (thread.isEmpty()) return listener;
    return new Bounded<>(listener, call, thread.get());
  }

  /** The call's listener, with the timer that closes the call unless its request ends first. */
  private final class Bounded<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, R> call;
    /** Set and cleared on the call's thread, as every callback runs. */
    private ScheduledFuture<?> timer;

    Bounded(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call, ScheduledExecutorService thread) {
      super(delegate);
      this.call = call;
      this.timer = thread.schedule(this::expire, timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void expire() {
      if (timer == null) return; // whole, or ended, before the timer ran
      timer = null;
      String method = call.getMethodDescriptor().getFullMethodName();
      log.rejected("request-incomplete", "method=" + method + " timeout_ms=" + timeoutMs);
      StatusRuntimeException e = Errors.error(ErrorReason.REQUEST_INCOMPLETE, "the request did not arrive whole (its "
          + "message and the end of its stream) within " + timeoutMs + " ms of the call's headers", Map.of("method", method));
      try {
        call.close(e.getStatus(), e.getTrailers());
      } catch (IllegalStateException alreadyClosed) {
        // answered in the meantime (a refusal at the headers): nothing to close
      }
    }

    private void stop() {
      if (timer != null) timer.cancel(false);
      timer = null;
    }

    @Override
    public void onHalfClose() {
      stop();
      super.onHalfClose();
    }

    @Override
    public void onCancel() {
      stop();
      super.onCancel();
    }

    @Override
    public void onComplete() {
      stop();
      super.onComplete();
    }
  }
}
