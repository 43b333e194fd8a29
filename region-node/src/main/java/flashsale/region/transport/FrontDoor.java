package flashsale.region.transport;

import flashsale.region.core.StampClock;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFuture;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.WriteBufferWaterMark;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.DuplexChannel;
import io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region's sockets. Its threads only read, stamp and pass on: each socket read is stamped as it
 * leaves the socket and handed, with its time, to gRPC over an in-process channel whose own
 * threads decode it ({@link StampedReads}); answers come back the same way and are written here.
 *
 * <p>Why two sets of threads: a thread that both reads and decodes leaves whatever reaches its
 * socket while it decodes there, unstamped. In {@code flashsale bench --burst} (20,000 purchases)
 * a region's first clump of 728 purchases was stamped 4.8–14.1 ms after it reached the socket
 * while the other region's reader, at the same raised priority, decoded its own; decoding in
 * slices did not help (docs/measurements.md). Here the readers are idle between reads and outrank
 * the decoders, so a read waits for a core, not for a decode.
 *
 * <p>gRPC sees each connection's client address (a {@link #addressFilter} puts it back in the
 * transport's attributes): per-address limits and logs are unchanged.
 */
final class FrontDoor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FrontDoor.class);
  private static final flashsale.net.ProtocolLog refusals = flashsale.net.ProtocolLog.of(FrontDoor.class);
  /**
   * Decoding may fall this far behind reading before the socket is left unread (the decoder then
   * holds up the watermark anyway): a 20,000-purchase burst is about 3 MiB.
   */
  static final int DECODE_BACKLOG_HIGH_BYTES = 32 << 20;
  static final int DECODE_BACKLOG_LOW_BYTES = 16 << 20;
  /**
   * Answers a client has not read may pile up this far in its socket before its requests are left
   * unread (TCP then holds the client back): about 50,000 purchase answers, so only a client that
   * stops reading meets it, and its unread answers cannot grow the region's memory without bound.
   */
  static final int ANSWER_BACKLOG_HIGH_BYTES = 8 << 20;
  static final int ANSWER_BACKLOG_LOW_BYTES = 4 << 20;
  /** How long a socket gRPC has closed is read (and discarded) for its client's FIN, as web servers' lingering close. */
  static final long LINGER_MILLIS = 2_000;

  private final InetSocketAddress address;
  private final ServerBootstrap bootstrap;
  private final LocalAddress decoderAddress;
  private final EventLoopGroup decoders;
  /** Client and server socket addresses by the in-process channel that carries the connection to gRPC. */
  private final Map<SocketAddress, Addresses> addressesByDecoderChannel = new ConcurrentHashMap<>();
  /** Client sockets open now, by client address (an IPv6 one by its /64, {@link ClientBuckets}), held to the node's {@link ConnectionCaps}. */
  private final OpenConnections<String> connections;
  private volatile Channel listener;

  private record Addresses(SocketAddress remote, SocketAddress local, Channel socket) {}

  /**
   * @param decoderAddress where the gRPC server listens in process
   * @param decoders the in-process channels' threads (gRPC's)
   * @param readBufferMinBytes first read size of a connection (and its floor); reads grow to {@code readBufferMaxBytes}
   */
  FrontDoor(InetSocketAddress address, InstantSource clock, InFlightReads inFlight, LocalAddress decoderAddress,
      EventLoopGroup boss, EventLoopGroup readers, EventLoopGroup decoders, Supplier<ServerChannel> listenerFactory, int readBufferMinBytes,
      int readBufferMaxBytes, ConnectionCaps caps) {
    this.address = address;
    this.connections = new OpenConnections<>(caps);
    this.decoderAddress = decoderAddress;
    this.decoders = decoders;
    this.bootstrap = new ServerBootstrap()
        .group(boss, readers)
        .channelFactory(listenerFactory::get)
        .childOption(ChannelOption.SO_KEEPALIVE, true) // what gRPC sets on the sockets it accepts
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(ANSWER_BACKLOG_LOW_BYTES, ANSWER_BACKLOG_HIGH_BYTES))
        .childOption(ChannelOption.RCVBUF_ALLOCATOR,
            new AdaptiveRecvByteBufAllocator(readBufferMinBytes, readBufferMinBytes, readBufferMaxBytes))
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel socket) {
            if (!admitted(socket)) return;
            socket.pipeline().addLast(new Reader(clock, inFlight));
          }
        });
  }

  /** Binds the listening socket; gRPC must be listening at the decoder address by then. */
  void open() throws IOException {
    ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
    if (!bound.isSuccess()) throw new IOException("cannot listen on " + address + ": " + bound.cause().getMessage(), bound.cause());
    listener = bound.channel();
  }

  /** The bound port, or -1 before {@link #open}. */
  int port() {
    Channel bound = listener;
    return bound == null ? -1 : ((InetSocketAddress) bound.localAddress()).getPort();
  }

  /**
   * Where a client on this host reaches the socket: its bound address, or loopback when it
   * listens on every interface; null before {@link #open}.
   */
  InetSocketAddress reachableAddress() {
    Channel bound = listener;
    if (bound == null) return null;
    InetSocketAddress local = (InetSocketAddress) bound.localAddress();
    return local.getAddress().isAnyLocalAddress()
        ? new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), local.getPort()) : local;
  }

  /**
   * Counts a new socket against the caps, or closes it unread when it would pass one: its client
   * sees the connection closed (gRPC: UNAVAILABLE) and may retry later or elsewhere.
   */
  private boolean admitted(Channel socket) {
    String client = socket.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null
        ? ClientBuckets.of(remote.getAddress()) : "unknown";
    OpenConnections.Refusal refused = connections.open(client);
    if (refused != null) {
      refusals.rejected(refused == OpenConnections.Refusal.NODE_CAP ? "connection-node-cap" : "connection-address-cap",
          "remote=" + socket.remoteAddress() + " open=" + connections.open());
      socket.close();
      return false;
    }
    socket.closeFuture().addListener(closed -> connections.closed(client));
    return true;
  }

  /** Connections open now. */
  int openConnections() {
    return connections.open();
  }

  /** Connections closed unread so far because the node ({@code byNode}) or their address was at its cap. */
  long refusedConnections(boolean byNode) {
    return connections.refused(byNode ? OpenConnections.Refusal.NODE_CAP : OpenConnections.Refusal.ADDRESS_CAP);
  }

  /**
   * Gives gRPC's transports the socket's addresses in place of the in-process channel's, and whether
   * the socket is being read ({@link flashsale.net.IncompleteRequests#READS_PAUSED}).
   */
  ServerTransportFilter addressFilter() {
    return new ServerTransportFilter() {
      @Override
      public Attributes transportReady(Attributes attributes) {
        Addresses socket = addressesByDecoderChannel.get(attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        if (socket == null) return attributes;
        Channel client = socket.socket();
        return attributes.toBuilder()
            .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, socket.remote())
            .set(Grpc.TRANSPORT_ATTR_LOCAL_ADDR, socket.local())
            .set(flashsale.net.IncompleteRequests.READS_PAUSED, () -> client.isActive() && !client.config().isAutoRead())
            .build();
      }
    };
  }

  @Override
  public void close() {
    Channel bound = listener;
    if (bound != null) bound.close().awaitUninterruptibly();
  }

  /** One connection's socket side, on its reading thread: stamps each read and passes it to gRPC. */
  private final class Reader extends ChannelInboundHandlerAdapter {
    private final InstantSource clock;
    private final InFlightReads inFlight;
    /** Reads taken before the channel to gRPC was connected (a connection's first bytes), stamped. */
    private final ArrayDeque<StampedRead> early = new ArrayDeque<>();
    private Channel decoder;
    private boolean decoderOpen;

    Reader(InstantSource clock, InFlightReads inFlight) {
      this.clock = clock;
      this.inFlight = inFlight;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel socket = ctx.channel();
      new Bootstrap()
          .group(decoders) // an in-process channel cannot live on a socket's (epoll) loop
          .channel(LocalChannel.class)
          .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
              new WriteBufferWaterMark(DECODE_BACKLOG_LOW_BYTES, DECODE_BACKLOG_HIGH_BYTES))
          .handler(new Writer(socket))
          .connect(decoderAddress)
          .addListener((ChannelFuture connected) -> socket.eventLoop().execute(() -> decoderConnected(socket, connected)));
      ctx.fireChannelActive();
    }

    private void decoderConnected(Channel socket, ChannelFuture connected) {
      if (!connected.isSuccess()) { // gRPC has stopped (shutting down): nobody to hand the bytes to
        log.debug("connection refused: the decoder is gone remote={} error=\"{}\"", socket.remoteAddress(),
            String.valueOf(connected.cause()));
        releaseEarly();
        socket.close();
        return;
      }
      decoder = connected.channel();
      SocketAddress key = decoder.localAddress();
      addressesByDecoderChannel.put(key, new Addresses(socket.remoteAddress(), socket.localAddress(), socket));
      decoder.closeFuture().addListener(f -> addressesByDecoderChannel.remove(key));
      if (!socket.isActive()) {
        releaseEarly();
        decoder.close();
        return;
      }
      for (StampedRead read; (read = early.poll()) != null; ) decoder.write(read);
      decoder.flush();
      decoderOpen = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (decoderOpen && !decoder.isActive()) { // gRPC has ended the connection: the socket lingers (Writer)
        ReferenceCountUtil.release(msg);
        return;
      }
      var stamped = new StampedRead((ByteBuf) msg, inFlight.begin(() -> StampClock.micros(clock.instant())));
      if (decoderOpen) decoder.write(stamped, decoder.voidPromise());
      else early.add(stamped);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!decoderOpen || !decoder.isActive()) return;
      decoder.flush();
      // The decoder is far behind: leave the socket until it catches up (Writer turns reading back on).
      if (!decoder.isWritable()) {
        ctx.channel().config().setAutoRead(false);
        // Looked at again after the flag is down: a decoder that caught up between the first look and
        // the flag turned reading on (a no-op then) before this turned it off, and would never again.
        readWhenBothCanTake(ctx.channel(), decoder);
      }
    }

    /**
     * A client not reading its answers: its requests are left unread until it catches up (and the
     * decoder can take more). The decoder's end resumes reading the same way ({@link Writer}); each
     * side sets its own flag before it checks the other's, so one of them sees both ready.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      Channel socket = ctx.channel();
      if (!socket.isWritable()) socket.config().setAutoRead(false);
      else readWhenBothCanTake(socket, decoderOpen ? decoder : null);
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      releaseEarly();
      if (decoder != null) decoder.close();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset or a read error on one socket: that connection ends (gRPC sees its channel close).
      log.debug("socket error remote={} error=\"{}\"", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }

    private void releaseEarly() {
      for (StampedRead read; (read = early.poll()) != null; ) ReferenceCountUtil.release(read);
    }
  }

  /**
   * Reads the socket again once the client takes its answers (the socket is writable) and the
   * decoder can take more (or is gone: a closed connection's socket is read and discarded).
   */
  private static void readWhenBothCanTake(Channel socket, Channel decoder) {
    if (socket.isWritable() && (decoder == null || !decoder.isActive() || decoder.isWritable())) {
      socket.config().setAutoRead(true);
    }
  }

  /** The in-process channel's end on the socket side: writes gRPC's bytes to the socket (on the socket's thread). */
  private static final class Writer extends ChannelInboundHandlerAdapter {
    private final Channel socket;

    Writer(Channel socket) {
      this.socket = socket;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      socket.write(msg, socket.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      socket.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      readWhenBothCanTake(socket, ctx.channel());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // gRPC closed the connection (GOAWAY sent, idle, handshake timeout): close the socket after what it wrote,
      // within LINGER_MILLIS whatever the client does (one that reads nothing never lets that last write finish).
      if (socket.isActive()) {
        var deadline = socket.eventLoop().schedule(() -> socket.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        socket.closeFuture().addListener(closed -> deadline.cancel(false));
        socket.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> closeLingering(socket));
      }
      ctx.fireChannelInactive();
    }

    /**
     * Ends the socket's output and reads on, discarding, until the client closes or the deadline
     * set above passes. Closing a socket with unread bytes in it sends a reset, and a reset may
     * destroy what the client had not yet read: the GOAWAY that says why.
     */
    private static void closeLingering(Channel socket) {
      if (!(socket instanceof DuplexChannel duplex) || !socket.isActive()) {
        socket.close();
        return;
      }
      duplex.shutdownOutput().addListener(shut -> {
        if (!shut.isSuccess()) socket.close();
      });
      socket.config().setAutoRead(true);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("in-process channel error remote={} error=\"{}\"", socket.remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
