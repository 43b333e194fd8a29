package flashsale.region.transport;

import flashsale.region.core.StampClock;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The first handler of a connection: reads the region clock once per socket read, before TLS or
 * HTTP/2 decoding see the bytes, and holds that time while the rest of the pipeline decodes the
 * read. The read stays in flight (no watermark passes it) until it is decoded: its purchases are
 * held on their own from their decoding on. Costs one clock read per read, not per request.
 *
 * <p>Drains the socket before decoding any of it: the reads of one wake-up of the event loop (up
 * to Netty's 16 per wake-up) are each stamped as they come off the socket and decoded only once
 * the socket is empty ({@code channelReadComplete}), in order. Decoding each read before the next
 * left a clump's later bytes in the socket, unstamped, while its first 32 KiB were decoded: a
 * 20,000-purchase burst stamped 1,458 purchases that reached the socket together 5–40 ms apart.
 * One handler per connection.
 */
final class ReadStampHandler extends ChannelInboundHandlerAdapter {
  static final String NAME = "flashsale-read-stamp";

  private final InstantSource clock;
  private final InFlightReads inFlight;
  /** This wake-up's reads, stamped and not yet decoded, oldest first. Event-loop thread only. */
  private final ArrayDeque<Held> held = new ArrayDeque<>();

  private record Held(Object msg, InFlightReads.Read read) {}

  ReadStampHandler(InstantSource clock, InFlightReads inFlight) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    held.add(new Held(msg, inFlight.begin(() -> StampClock.micros(clock.instant()))));
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    decodeHeld(ctx);
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    decodeHeld(ctx); // Netty completes a read before it closes; this is only a safety net
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    for (Held h; (h = held.poll()) != null; ) {
      ReferenceCountUtil.release(h.msg());
      h.read().release();
    }
  }

  private void decodeHeld(ChannelHandlerContext ctx) {
    for (Held h; (h = held.poll()) != null; ) {
      long previous = SocketReadTime.enter(h.read().readMicros());
      try {
        ctx.fireChannelRead(h.msg());
      } finally {
        SocketReadTime.exit(previous);
        h.read().release();
      }
    }
  }
}
