package flashsale.region.transport;

import flashsale.region.core.StampClock;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.InstantSource;
import java.util.Objects;

/**
 * The first handler of every accepted connection: reads the region clock once per socket read,
 * before TLS or HTTP/2 decoding see the bytes, and holds that time while the rest of the pipeline
 * decodes the read. The read stays in flight (no watermark passes it) until it is decoded: its
 * purchases are held on their own from their decoding on. Costs one clock read per read, not per
 * request.
 */
@ChannelHandler.Sharable
final class ReadStampHandler extends ChannelInboundHandlerAdapter {
  static final String NAME = "flashsale-read-stamp";

  private final InstantSource clock;
  private final InFlightReads inFlight;

  ReadStampHandler(InstantSource clock, InFlightReads inFlight) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    InFlightReads.Read read = inFlight.begin(() -> StampClock.micros(clock.instant()));
    long previous = SocketReadTime.enter(read.readMicros());
    try {
      ctx.fireChannelRead(msg);
    } finally {
      SocketReadTime.exit(previous);
      read.release();
    }
  }
}
