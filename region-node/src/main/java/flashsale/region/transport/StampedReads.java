package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The first handler of each connection on the decoding side, ahead of TLS and HTTP/2: hands a
 * {@link StampedRead}'s bytes on with its read marked current ({@link SocketReadTime}), so every
 * stream they open holds that read, then lets the read go. Shared by all connections.
 */
@ChannelHandler.Sharable
final class StampedReads extends ChannelInboundHandlerAdapter {
  static final String NAME = "flashsale-stamped-reads";
  static final StampedReads INSTANCE = new StampedReads();

  private StampedReads() {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof StampedRead stamped)) {
      ctx.fireChannelRead(msg);
      return;
    }
    DecodingThread.enter(ctx.executor());
    InFlightReads.Read previous = SocketReadTime.enter(stamped.read());
    try {
      ctx.fireChannelRead(stamped.content()); // the bytes go on; whoever decodes them releases them
    } finally {
      SocketReadTime.exit(previous);
      stamped.read().release();
    }
  }

  /** Sits in the decoding side's listening channel, ahead of Netty's acceptor: each accepted connection gets {@link StampedReads} first. */
  @ChannelHandler.Sharable
  static final class OnAccept extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel accepted) accepted.pipeline().addFirst(NAME, INSTANCE);
      ctx.fireChannelRead(msg);
    }
  }
}
