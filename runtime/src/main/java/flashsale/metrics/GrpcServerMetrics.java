package flashsale.metrics;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Micrometer's gRPC server meters for one service ({@code grpc.server.processing.duration} as a
 * histogram by service, method and status code, {@code grpc.server.requests.received},
 * {@code grpc.server.responses.sent}), registered for every method at start-up. For a Purchase
 * the time is the whole pending wait, i.e. the decision latency seen by the buyer. A node's own
 * warm-up calls from this host are not counted.
 */
public final class GrpcServerMetrics implements ServerInterceptor {
  /** Marks a node's own warm-up calls, which are not counted when they come from this host. */
  public static final Metadata.Key<String> WARMUP_HEADER =
      Metadata.Key.of("flashsale-warmup", Metadata.ASCII_STRING_MARSHALLER);

  private final MetricCollectingServerInterceptor meters;

  private GrpcServerMetrics(MeterRegistry registry) {
    // OK and the codes a flashsale call ends with most are there from the start, so rates and
    // ratios over them have series before the first failure; DATA_LOSS too, so that the alert on
    // a lost pool (an increase over its series) sees the first one.
    this.meters = new MetricCollectingServerInterceptor(registry, counter -> counter,
        NodeMeters::latencyHistogram, Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND,
        Status.Code.FAILED_PRECONDITION, Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAVAILABLE,
        Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED, Status.Code.INTERNAL, Status.Code.DATA_LOSS);
  }

  /** {@code service} with its calls metered into {@code registry}, every method's series registered now. */
  public static ServerServiceDefinition meter(ServerServiceDefinition service, MeterRegistry registry) {
    GrpcServerMetrics metrics = new GrpcServerMetrics(registry);
    metrics.meters.preregisterService(service);
    return io.grpc.ServerInterceptors.intercept(service, metrics);
  }

  /**
   * Only the node itself may keep its warm-up calls out of the figures: a call from this host, over
   * loopback or from the very address it arrived at (a node bound to one address, {@code --bind},
   * calling itself there).
   */
  private static boolean fromThisHost(ServerCall<?, ?> call) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (!(remote instanceof InetSocketAddress from) || from.getAddress() == null) return false;
    if (from.getAddress().isLoopbackAddress()) return true;
    return call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR) instanceof InetSocketAddress to
        && from.getAddress().equals(to.getAddress());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (headers.containsKey(WARMUP_HEADER) && fromThisHost(call)) return next.startCall(call, headers);
    return meters.interceptCall(call, headers, next);
  }
}
