package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.InstantSource;

/**
 * Sits in the listening socket's pipeline, ahead of Netty's acceptor: each accepted connection
 * gets a {@link ReadStampHandler} as its first handler before it is registered, so the stamp
 * comes ahead of everything gRPC installs afterwards. Works for any transport (epoll or NIO).
 */
@ChannelHandler.Sharable
final class AcceptedStamping extends ChannelInboundHandlerAdapter {
  private final InstantSource clock;
  private final InFlightReads inFlight;

  AcceptedStamping(InstantSource clock, InFlightReads inFlight) {
    this.clock = clock;
    this.inFlight = inFlight;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Channel accepted) accepted.pipeline().addFirst(ReadStampHandler.NAME, new ReadStampHandler(clock, inFlight));
    ctx.fireChannelRead(msg);
  }
}
