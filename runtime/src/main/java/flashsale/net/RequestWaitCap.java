package flashsale.net;

import io.grpc.Attributes;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code cap} calls per connection may wait for their request message. A unary or
 * server-streaming call that sent its HEADERS and never its message has no deadline of its own
 * unless its client gave one, holds its state in the node's heap, and ends only with its
 * connection: a client that opens thousands per connection, over many connections, can fill the
 * heap (seen in a review: 10,000 such {@code Health/Check} calls a connection). Beyond the cap a
 * new call on that connection ends at once, RESOURCE_EXHAUSTED; other connections are untouched.
 * An honest client's call waits for its message for the microseconds between two frames of one
 * read, so the cap never turns it away. Streams whose client sends many messages (bidirectional,
 * client-streaming) are not counted: waiting between messages is what they do.
 */
public final class RequestWaitCap implements ServerInterceptor {
  /** Far above what an honest connection has waiting at once, far below what fills a heap. */
  public static final int DEFAULT_PER_CONNECTION = 1_000;
  private static final Attributes.Key<AtomicInteger> WAITING = Attributes.Key.create("flashsale.callsAwaitingRequest");

  private final int cap;

  public RequestWaitCap(int cap) {
    if (cap < 1) throw new IllegalArgumentException("cap must be at least 1, got " + cap);
    this.cap = cap;
  }

  /** Gives each connection its count; the server needs it (without it nothing is counted). */
  public ServerTransportFilter transportFilter() {
    return new ServerTransportFilter() {
      @Override
      public Attributes transportReady(Attributes attributes) {
        return attributes.toBuilder().set(WAITING, new AtomicInteger()).build();
      }
    };
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    MethodType type = call.getMethodDescriptor().getType();
    AtomicInteger waiting = call.getAttributes() == null ? null : call.getAttributes().get(WAITING);
    if (waiting == null || (type != MethodType.UNARY && type != MethodType.SERVER_STREAMING)) {
      return next.startCall(call, headers);
    }
    if (waiting.incrementAndGet() > cap) {
      waiting.decrementAndGet();
      call.close(Status.RESOURCE_EXHAUSTED.withDescription(cap + " calls on this connection are open without their"
          + " request message; send each call's message with its headers"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException e) {
      waiting.decrementAndGet();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      /** A listener's callbacks come one at a time. */
      private boolean counted = true;

      private void arrived() {
        if (counted) {
          counted = false;
          waiting.decrementAndGet();
        }
      }

      @Override
      public void onMessage(Q message) {
        arrived();
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        arrived();
        super.onHalfClose();
      }

      @Override
      public void onCancel() {
        arrived();
        super.onCancel();
      }

      @Override
      public void onComplete() {
        arrived();
        super.onComplete();
      }
    };
  }
}
