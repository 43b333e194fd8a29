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
 * Carries each call's arrival time to its handler: the time of the socket read that completed the
 * call, the one that carried its end (END_STREAM, after its message). A unary call's handler runs
 * on the decoding thread inside that read, so the first {@link #currentRead()} takes a hold on it.
 * Neither the HEADERS' read nor the message's: a client could send a call's HEADERS, or its
 * message too, early and end the call later, ranked by the earlier read (a bid sent before an
 * auction's close could still be withdrawn after it); and a call left unended held every watermark
 * below that read for as long as it stayed open. A call whose handler runs outside a stamped read
 * (the in-process transport of tests) is stamped when its handler asks.
 */
public final class ArrivalStamps extends ServerStreamTracer.Factory {
  private static final Context.Key<StampedCall> CALL = Context.key("flashsale-stamped-call");

  /** One stamped call: its read, taken the first time its handler asks, released when the call ends. */
  private final class StampedCall {
    private volatile InFlightReads.Read read;

    /** Only the call's handler asks, on one thread at a time. */
    InFlightReads.Read read() {
      InFlightReads.Read taken = read;
      if (taken == null) {
        InFlightReads.Read socketRead = SocketReadTime.current();
        // The purchase keeps the read that ended it in flight until it is stamped.
        taken = socketRead != null ? socketRead.hold() : inFlight.begin(() -> StampClock.micros(clock.instant()));
        read = taken;
      }
      return taken;
    }
  }

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
   * region clock, read where the bytes that ended the call came off the socket. Asked by the call's
   * handler. The caller releases it once the purchase is stamped (or will not be); the call's end
   * releases it anyway.
   */
  public static Optional<InFlightReads.Read> currentRead() {
    StampedCall call = CALL.get();
    return call == null ? Optional.empty() : Optional.of(call.read());
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
    StampedCall call = new StampedCall();
    return new ServerStreamTracer() {
      @Override
      public Context filterContext(Context context) {
        return context.withValue(CALL, call);
      }

      @Override
      public void streamClosed(Status status) {
        InFlightReads.Read read = call.read;
        if (read != null) read.release();
      }
    };
  }

  private static final ServerStreamTracer NO_TRACE = new ServerStreamTracer() {};
}
