package flashsale.net;

import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Attributes;
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
import java.util.function.BooleanSupplier;
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
 *
 * <p>A request's bytes can be late through no fault of its client while the node itself leaves the
 * connection unread (its client is not taking its answers, or decoding is far behind): a transport
 * that can say so puts {@link #READS_PAUSED} in the call's attributes, and a timer that runs out
 * while it says true starts again.
 */
public final class IncompleteRequests implements ServerInterceptor {
  /** Far beyond a request's honest arrival, which flow control can delay only while the node decodes what came before it. */
  public static final long DEFAULT_TIMEOUT_MS = 10_000;
  /** Below this an honest request's own trip through a busy node could take longer. */
  public static final long MIN_TIMEOUT_MS = 100;
  /** True while the node leaves the call's connection unread; set by the transport, if it can tell. */
  public static final Attributes.Key<BooleanSupplier> READS_PAUSED = Attributes.Key.create("flashsale.reads-paused");
  private static final ProtocolLog log = ProtocolLog.of(IncompleteRequests.class);

  private final long timeoutMs;
  private final Supplier<Optional<ScheduledExecutorService>> callThread;

  /**
   * @param timeoutMs how long a call's request may take to arrive whole after its headers; 0 never closes one
   * @param callThread the thread running the current call's callbacks, as a scheduler; empty where there is none
   */
  public IncompleteRequests(long timeoutMs, Supplier<Optional<ScheduledExecutorService>> callThread) {
    if (timeoutMs < 0 || (timeoutMs > 0 && timeoutMs < MIN_TIMEOUT_MS)) {
      throw new IllegalArgumentException("request arrival timeout must be 0 (off) or at least " + MIN_TIMEOUT_MS
          + " ms, got " + timeoutMs);
    }
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
    private final ScheduledExecutorService thread;
    /** Set and cleared on the call's thread, as every callback runs. */
    private ScheduledFuture<?> timer;

    Bounded(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call, ScheduledExecutorService thread) {
      super(delegate);
      this.call = call;
      this.thread = thread;
      this.timer = thread.schedule(this::expire, timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void expire() {
      if (timer == null) return; // whole, or ended, before the timer ran
      BooleanSupplier paused = call.getAttributes().get(READS_PAUSED);
      if (paused != null && paused.getAsBoolean()) { // the node is not reading: not the client's delay
        timer = thread.schedule(this::expire, timeoutMs, TimeUnit.MILLISECONDS);
        return;
      }
      timer = null;
      String method = call.getMethodDescriptor().getFullMethodName();
      StatusRuntimeException e = Errors.error(ErrorReason.REQUEST_INCOMPLETE, "the request did not arrive whole (its "
          + "message and the end of its stream) within " + timeoutMs + " ms of the call's headers", Map.of("method", method));
      try {
        call.close(e.getStatus(), e.getTrailers());
      } catch (IllegalStateException alreadyClosed) {
        return; // answered in the meantime (a refusal by an inner layer): nothing to close
      }
      log.rejected("request-incomplete", "method=" + method + " timeout_ms=" + timeoutMs);
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
