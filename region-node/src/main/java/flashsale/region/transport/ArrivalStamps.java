package flashsale.region.transport;

import flashsale.region.core.StampClock;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;

/**
 * Carries each call's arrival time to its handler. gRPC creates a stream's tracer while decoding
 * the stream's HEADERS frame, on the decoding thread and inside the socket read that carried
 * them, so the tracer sees that read (its time) and puts a hold on it into the call's {@link Context}. A stream
 * created outside a stamped read (the in-process transport of tests) is stamped at creation.
 */
public final class ArrivalStamps extends ServerStreamTracer.Factory {
  private static final Context.Key<InFlightReads.Read> READ = Context.key("flashsale-socket-read");

  private final InstantSource clock;
  private final InFlightReads inFlight;
  private final java.util.Set<String> stampedMethods;

  /**
   * @param inFlight where each {@code stampedMethod} call is held from its read until its stamp
   * @param stampedMethods the full gRPC method names whose calls are stamped (Purchase, PlaceBid)
   */
  public ArrivalStamps(InstantSource clock, InFlightReads inFlight, String... stampedMethods) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
    this.stampedMethods = java.util.Set.of(Objects.requireNonNull(stampedMethods, "stampedMethods"));
  }

  /**
   * The current call's read, if it passed through this factory: its time in UTC microseconds by the
   * region clock, read where the call's bytes came off the socket. The caller releases it once the
   * purchase is stamped (or will not be); the call's end releases it anyway.
   */
  public static Optional<InFlightReads.Read> currentRead() {
    return Optional.ofNullable(READ.get());
  }

  /**
   * A hold on the socket read being decoded on this thread, for one message of a stream: each
   * message of {@code StreamPurchases} is stamped at the read that carried it, not at its stream's
   * HEADERS (a stream is not one of the stamped methods, so it holds no read for its lifetime).
   * Empty outside a stamped read (the in-process transport). The caller releases the hold once the
   * purchase is stamped, or will not be.
   */
  public static Optional<InFlightReads.Read> holdSocketRead() {
    InFlightReads.Read read = SocketReadTime.current();
    return read == null ? Optional.empty() : Optional.of(read.hold());
  }

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    if (!stampedMethods.contains(fullMethodName)) return NO_TRACE;
    InFlightReads.Read socketRead = SocketReadTime.current();
    // The purchase keeps the read that carried it in flight until it is stamped.
    InFlightReads.Read read = socketRead != null ? socketRead.hold()
        : inFlight.begin(() -> StampClock.micros(clock.instant()));
    return new ServerStreamTracer() {
      @Override
      public Context filterContext(Context context) {
        return context.withValue(READ, read);
      }

      @Override
      public void streamClosed(Status status) {
        read.release();
      }
    };
  }

  private static final ServerStreamTracer NO_TRACE = new ServerStreamTracer() {};
}
