package flashsale.net;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code cap} calls open at once across the services it guards: the ones anybody may call
 * without credentials (health, reflection), whose streams ({@code Health/Watch}, reflection's
 * bidirectional one) can stay open for as long as the caller likes. Without it, an anonymous
 * client could hold thousands per connection, over as many connections as it opens, in the
 * node's heap. Beyond the cap a call ends at once with RESOURCE_EXHAUSTED. Unary calls ({@code
 * Health/Check}) have a cap of their own, counted from their request to their answer: neither
 * streams held open nor calls that never send their request can starve a load balancer's checks.
 */
public final class OpenCallCap implements ServerInterceptor {
  /** Enough for every probe and operator tool of a deployment; far below what hurts a node. */
  public static final int DEFAULT_CAP = 256;

  private final int cap;
  /** Streaming calls open (watches, reflection). */
  private final AtomicInteger openStreams = new AtomicInteger();
  /** Unary calls between their request and their answer (checks): a place of their own, so held streams cannot refuse them. */
  private final AtomicInteger openUnary = new AtomicInteger();

  public OpenCallCap(int cap) {
    if (cap < 1) throw new IllegalArgumentException("cap must be at least 1, got " + cap);
    this.cap = cap;
  }

  /**
   * A node's health service and the reflection services, behind one shared cap of {@link
   * #DEFAULT_CAP} open calls: what both nodes serve to anybody.
   */
  public static java.util.List<io.grpc.ServerServiceDefinition> openServices(io.grpc.BindableService health) {
    OpenCallCap cap = new OpenCallCap(DEFAULT_CAP);
    java.util.List<io.grpc.BindableService> open = new java.util.ArrayList<>(Reflection.services());
    open.add(0, health);
    return open.stream().map(s -> io.grpc.ServerInterceptors.intercept(s.bindService(), cap)).toList();
  }

  /** Calls open now, of both kinds. */
  public int open() {
    return openStreams.get() + openUnary.get();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (call.getMethodDescriptor().getType() == io.grpc.MethodDescriptor.MethodType.UNARY) {
      return unary(call, headers, next);
    }
    if (openStreams.incrementAndGet() > cap) {
      openStreams.decrementAndGet();
      call.close(Status.RESOURCE_EXHAUSTED.withDescription(cap + " streaming health and reflection calls are open on"
          + " this node already; close one (or use Health/Check instead of Health/Watch)"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean ended = new AtomicBoolean();
    Runnable release = () -> {
      if (ended.compareAndSet(false, true)) openStreams.decrementAndGet();
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        release.run();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release.run();
        super.onCancel();
      }
    };
  }

  /**
   * A unary call ({@code Health/Check}) takes a place from its whole request to its answer: a client
   * that opens calls and never sends their message holds no place a prober needs.
   */
  private <Q, R> ServerCall.Listener<Q> unary(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      /** A listener's callbacks come one at a time. */
      private boolean counted;

      @Override
      public void onHalfClose() {
        if (openUnary.incrementAndGet() > cap) {
          openUnary.decrementAndGet();
          call.close(Status.RESOURCE_EXHAUSTED.withDescription(cap + " unary health and reflection calls are being"
              + " answered on this node already; retry"), new Metadata());
          return;
        }
        counted = true;
        super.onHalfClose();
      }

      @Override
      public void onComplete() {
        release();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release();
        super.onCancel();
      }

      private void release() {
        if (counted) openUnary.decrementAndGet();
        counted = false;
      }
    };
  }
}
