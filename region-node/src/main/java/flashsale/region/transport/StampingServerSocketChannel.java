package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.List;

/**
 * A listening socket whose accepted connections start their pipeline with a
 * {@link ReadStampHandler}. The handler is added before the connection is registered, so it sits
 * ahead of everything gRPC installs afterwards.
 */
final class StampingServerSocketChannel extends NioServerSocketChannel {
  private final ReadStampHandler stamper;

  StampingServerSocketChannel(ReadStampHandler stamper) {
    this.stamper = stamper;
  }

  @Override
  protected int doReadMessages(List<Object> accepted) throws Exception {
    int before = accepted.size();
    int count = super.doReadMessages(accepted);
    for (int i = before; i < accepted.size(); i++) {
      ((Channel) accepted.get(i)).pipeline().addFirst(ReadStampHandler.NAME, stamper);
    }
    return count;
  }
}
