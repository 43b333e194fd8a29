package flashsale.region.transport;

import flashsale.region.core.StampClock;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Carries each call's arrival time to its handler. gRPC creates a stream's tracer while decoding
 * the stream's HEADERS frame, on the event-loop thread and inside the socket read that carried
 * them, so the tracer sees that read's time and puts it into the call's {@link Context}. A stream
 * created outside a stamped read (the in-process transport of tests) is stamped at creation.
 */
public final class ArrivalStamps extends ServerStreamTracer.Factory {
  private static final Context.Key<Long> ARRIVAL_MICROS = Context.key("flashsale-arrival-micros");

  private final InstantSource clock;

  public ArrivalStamps(InstantSource clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The current call's arrival in UTC microseconds by the region clock, read where the call's bytes
   * came off the socket; read from {@code fallback} if the call did not pass through this factory.
   */
  public static long arrivalMicros(LongSupplier fallback) {
    Long micros = ARRIVAL_MICROS.get();
    return micros == null ? fallback.getAsLong() : micros;
  }

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    long readMicros = SocketReadTime.current();
    Long arrivalMicros = readMicros != SocketReadTime.NONE ? readMicros : StampClock.micros(clock.instant());
    return new ServerStreamTracer() {
      @Override
      public Context filterContext(Context context) {
        return context.withValue(ARRIVAL_MICROS, arrivalMicros);
      }
    };
  }
}
