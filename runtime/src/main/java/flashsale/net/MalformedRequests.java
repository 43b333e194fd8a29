package flashsale.net;

import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Answers a request message that does not parse (random bytes, invalid UTF-8 in a string field)
 * with {@code INVALID_ARGUMENT MALFORMED_MESSAGE}. grpc-java's own path throws the marshaller's
 * failure out of the call executor: the caller gets {@code UNKNOWN} and the node logs a SEVERE
 * stack trace per call. Here the marshaller never throws; the failure travels as a value to a
 * listener that closes the call, and the service's handler never sees the message.
 */
public final class MalformedRequests {
  private static final ProtocolLog log = ProtocolLog.of(MalformedRequests.class);

  private MalformedRequests() {}

  /** The same service, every method guarded; its schema (for reflection) and handlers unchanged. */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> guarded = new ArrayList<>();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> g = guard(method);
      guarded.add(g);
      descriptor.addMethod(g.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    guarded.forEach(out::addMethod);
    return out.build();
  }

  private static <Q, R> ServerMethodDefinition<Parsed<Q>, R> guard(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> original = method.getMethodDescriptor();
    MethodDescriptor<Parsed<Q>, R> wrapped =
        original.toBuilder(new ParsingMarshaller<>(original.getRequestMarshaller()), original.getResponseMarshaller())
            .build();
    ServerCallHandler<Q, R> next = method.getServerCallHandler();
    return ServerMethodDefinition.create(wrapped,
        (call, headers) -> new GuardedListener<>(next.startCall(new UnwrappedCall<>(call, original), headers), call));
  }

  /** A request as it came off the wire: its value, or why it does not parse. */
  record Parsed<Q>(Q value, String problem) {}

  /** Never throws on the server's side: a parse failure becomes a {@link Parsed} with a problem. */
  private record ParsingMarshaller<Q>(MethodDescriptor.Marshaller<Q> inner)
      implements MethodDescriptor.Marshaller<Parsed<Q>> {
    @Override
    public InputStream stream(Parsed<Q> value) {
      return inner.stream(value.value());
    }

    @Override
    public Parsed<Q> parse(InputStream stream) {
      try {
        return new Parsed<>(inner.parse(stream), null);
      } catch (RuntimeException e) {
        Status status = Status.fromThrowable(e);
        Throwable cause = status.getCause() == null ? e.getCause() : status.getCause();
        String why = status.getDescription() == null ? e.toString() : status.getDescription();
        return new Parsed<>(null, cause == null || cause.getMessage() == null ? why : why + ": " + cause.getMessage());
      }
    }
  }

  /** Hands parsed messages on; on the first that does not parse, closes the call and hands on nothing more. */
  private static final class GuardedListener<Q, R> extends ServerCall.Listener<Parsed<Q>> {
    private final ServerCall.Listener<Q> delegate;
    private final ServerCall<Parsed<Q>, R> call;
    private boolean refused;

    GuardedListener(ServerCall.Listener<Q> delegate, ServerCall<Parsed<Q>, R> call) {
      this.delegate = delegate;
      this.call = call;
    }

    @Override
    public void onMessage(Parsed<Q> message) {
      if (refused) return;
      if (message.problem() == null) {
        delegate.onMessage(message.value());
        return;
      }
      refused = true;
      String method = call.getMethodDescriptor().getFullMethodName();
      log.rejected("malformed-message", "method=" + method + " problem=\"" + message.problem() + "\"");
      StatusRuntimeException e = Errors.error(ErrorReason.MALFORMED_MESSAGE,
          "the request is not a valid " + method + " message: " + message.problem(), Map.of("method", method));
      try {
        call.close(e.getStatus(), e.getTrailers());
      } catch (IllegalStateException alreadyClosed) {
        // a streaming handler closed it first: nothing left to answer
      }
    }

    @Override
    public void onHalfClose() {
      if (!refused) delegate.onHalfClose();
    }

    @Override
    public void onCancel() {
      delegate.onCancel();
    }

    @Override
    public void onComplete() {
      // The handler saw the call start; after a refusal it must learn that it ended without it.
      if (refused) {
        delegate.onCancel();
      } else {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      delegate.onReady();
    }
  }

  /** The call as the service's handler (and its interceptors) expect it: typed by the original method. */
  private static final class UnwrappedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<Parsed<Q>, R> call;
    private final MethodDescriptor<Q, R> method;

    UnwrappedCall(ServerCall<Parsed<Q>, R> call, MethodDescriptor<Q, R> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      call.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
