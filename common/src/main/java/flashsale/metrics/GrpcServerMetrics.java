package flashsale.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts and times every call a node serves, by method and final status code
 * ({@code flashsale_grpc_server_seconds{method,code}}): one interceptor, so handlers stay free of
 * metrics code. For a Purchase the time is the whole pending wait, i.e. the decision latency.
 */
public final class GrpcServerMetrics implements ServerInterceptor {
  /** Marks a node's own warm-up calls, which are not counted when they come over loopback. */
  public static final Metadata.Key<String> WARMUP_HEADER =
      Metadata.Key.of("flashsale-warmup", Metadata.ASCII_STRING_MARSHALLER);

  private final MeterRegistry registry;
  /** Timers by "method/code": the hot path looks one up instead of building a meter id per call. */
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  public GrpcServerMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Only the node itself (over loopback) may keep its warm-up calls out of the figures. */
  private static boolean fromLoopback(ServerCall<?, ?> call) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    return remote instanceof InetSocketAddress inet && inet.getAddress() != null && inet.getAddress().isLoopbackAddress();
  }

  private Timer timer(String method, Status.Code code) {
    return timers.computeIfAbsent(method + "/" + code, key ->
        Timer.builder("flashsale_grpc_server")
            .description("Calls served, by method and status code; the time includes any pending wait")
            .tag("method", method)
            .tag("code", code.name())
            .register(registry));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (headers.containsKey(WARMUP_HEADER) && fromLoopback(call)) return next.startCall(call, headers);
    long startNanos = System.nanoTime();
    String method = call.getMethodDescriptor().getBareMethodName();
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            timer(method == null ? "unknown" : method, status.getCode())
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            super.close(status, trailers);
          }
        },
        headers);
  }
}
