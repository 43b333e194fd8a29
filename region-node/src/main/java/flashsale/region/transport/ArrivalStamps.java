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
 * call's request message. gRPC tells a stream's tracer when it has read a whole message, on the
 * decoding thread and inside the socket read that carried the message's last bytes, so the tracer
 * sees that read (its time) and keeps a hold on it for the call's {@link Context}. Not the HEADERS'
 * read: a client could send a call's HEADERS early and its message (the bid, the purchase) later,
 * and be ranked by the HEADERS; and a call whose message never came would hold every watermark
 * below its HEADERS until it ended. A message read outside a stamped read (the in-process
 * transport of tests) is stamped when read.
 */
public final class ArrivalStamps extends ServerStreamTracer.Factory {
  private static final Context.Key<MessageRead> READ = Context.key("flashsale-socket-read");

  /** The read that completed a call's request message: set once, on the decoding thread, before the handler runs. */
  private static final class MessageRead {
    private volatile InFlightReads.Read read;
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
   * region clock, read where the call's bytes came off the socket. The caller releases it once the
   * purchase is stamped (or will not be); the call's end releases it anyway.
   */
  public static Optional<InFlightReads.Read> currentRead() {
    MessageRead call = READ.get();
    return call == null ? Optional.empty() : Optional.ofNullable(call.read);
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
    MessageRead call = new MessageRead();
    return new ServerStreamTracer() {
      @Override
      public Context filterContext(Context context) {
        return context.withValue(READ, call);
      }

      @Override
      public void inboundMessageRead(int seqNo, long optionalWireSize, long optionalUncompressedSize) {
        if (seqNo != 0 || call.read != null) return; // a unary call's one message
        InFlightReads.Read socketRead = SocketReadTime.current();
        // The purchase keeps the read that carried it in flight until it is stamped.
        call.read = socketRead != null ? socketRead.hold() : inFlight.begin(() -> StampClock.micros(clock.instant()));
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
