package flashsale.region.transport;

import io.grpc.InsecureServerCredentials;
import flashsale.net.ServerLimits;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFuture;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoEventLoop;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.SingleThreadIoEventLoop;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import io.grpc.netty.shaded.io.netty.channel.local.LocalIoHandler;
import io.grpc.netty.shaded.io.netty.channel.local.LocalServerChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.netty.util.concurrent.RejectedExecutionHandlers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A Netty server transport whose connections stamp every socket read (see the package doc): a
 * {@link FrontDoor} reads the sockets on threads that only read, stamp and pass on; gRPC decodes
 * on threads of its own, reached in process, and runs the calls there too; so neither a slow
 * handler nor a long decode delays a later read and therefore a later stamp. Owns its threads:
 * {@link #close()} them after the server has terminated.
 */
public final class StampedTransport implements AutoCloseable {
  /**
   * A connection's first read takes up to 32 KiB (about 150 purchases; Netty's default is 2 KiB),
   * growing toward 1 MiB while reads fill it: fewer, larger reads per clump of a burst. Netty's
   * pooled allocator serves up to 32 KiB from a per-thread cache without a lock; above it, from an
   * arena shared with the threads writing answers, under a lock one of them may hold while
   * preempted (a reader blocked 10-22 ms there with 64 KiB reads, JFR of the wire test).
   */
  static final int READ_BUFFER_MIN_BYTES = 32 << 10;
  static final int READ_BUFFER_MAX_BYTES = 1 << 20;
  /**
   * How long a reading thread runs queued tasks (writing answers) before it looks at its sockets
   * again, in milliseconds as Netty takes it: Netty's default, 1 s. From af7b1cb8 to the
   * thirty-seventh session 1,000,000 was passed (meant as 1 ms in nanoseconds), so a reader with a
   * queue that never emptied never read; every figure since was measured that way (the wire test's
   * stamp lag p99 0.30-1.35 ms per region-burst). A real 1 ms was measured in the thirty-seventh
   * session: near p50 41.6 / 53.9 ms against 35.1 / 35.7, decide to answer 6.0 / 14.7 ms against
   * 2.2 / 2.7, the no-op ceiling 17,660 / 15,093 purchases/s against 21,745 / 21,703, alternating
   * with the build before (docs/measurements.md): the readers' extra wake-ups cost more than the
   * reads they let in earlier.
   */
  static final long TASK_QUANTUM_MS = 1_000;
  private final EventLoopGroup boss;
  private final EventLoopGroup readers;
  private final EventLoopGroup decoders;
  private final FrontDoor front;
  private final NettyServerBuilder builder;
  private final String kind;

  private StampedTransport(InetSocketAddress address, InstantSource clock, InFlightReads inFlight, int workerThreads,
      ServerLimits limits, ConnectionCaps caps, ServerCredentials credentials) {
    // Linux's native epoll where it loads, else the JDK's NIO. Not only for speed: a thread that
    // hands the event loop work wakes it, and NIO's wakeup and the loop's clearing of it share a
    // lock. The woken reader outranks the waker (below), so the waker was often preempted inside
    // that lock and the reader, about to read, blocked on it for 10-55 ms (JFR, wire test with a
    // grpcio client). Epoll's wakeup is an eventfd write with no lock.
    boolean epoll = Epoll.isAvailable();
    this.kind = epoll ? "epoll" : "nio";
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("region-accept", true), io);
    // The reading threads stamp: ask the OS to run them first (takes effect with
    // -XX:ThreadPriorityPolicy=1 where the process may raise priorities, as root does). They
    // decode nothing, so their priority never lets a decode push a reader of another socket aside.
    this.readers = new ReadFirstLoops(workerThreads, new DefaultThreadFactory("region-read", true, Thread.MAX_PRIORITY), io);
    this.decoders = new PairedLoops(workerThreads, new DefaultThreadFactory("region-decode", true));
    LocalAddress decoderAddress = new LocalAddress("flashsale-region-" + java.util.UUID.randomUUID());
    this.front = new FrontDoor(address, clock, inFlight, decoderAddress, boss, readers, decoders,
        () -> epoll ? new EpollServerSocketChannel() : new NioServerSocketChannel(), READ_BUFFER_MIN_BYTES,
        READ_BUFFER_MAX_BYTES, caps);
    // TLS, when on, is decoded on the decoding side too: after the stamp.
    this.builder = limits.apply(NettyServerBuilder.forAddress(decoderAddress, credentials))
        // Calls run on the decoding thread that read them: the handlers only check and hand the
        // purchase to the region loop (nothing blocks), and a decoding thread stamps nothing, so a
        // call pool's hand-off (a wake-up and a queue per call) would buy nothing.
        .directExecutor()
        .channelFactory(() -> {
          ServerChannel listener = new PairedLocalServerChannel();
          listener.pipeline().addLast(new StampedReads.OnAccept()); // ahead of the acceptor Netty adds
          return listener;
        })
        .bossEventLoopGroup(decoders)
        .workerEventLoopGroup(decoders)
        // gRPC asks TCP keepalive of every accepted channel; the in-process hop has none (Netty logged
        // "Unknown channel option" at WARN per connection), so the front door's sockets take it instead.
        .withChildOption(ChannelOption.SO_KEEPALIVE, null)
        .addTransportFilter(front.addressFilter());
  }

  /** A transport listening on {@code port} (0 picks a free one) of every interface, with the region's default limits. */
  public static StampedTransport onPort(int port, InstantSource clock) {
    return onAddress(new InetSocketAddress(port), clock, new InFlightReads(), ServerLimits.regionDefaults(),
        ConnectionCaps.DEFAULTS, InsecureServerCredentials.create());
  }

  /**
   * A transport listening on one address ({@code --bind}), each connection held to {@code limits}
   * and their number to {@code caps}, serving buyers with {@code credentials} (TLS or plaintext).
   * Each socket read is held in {@code inFlight} while it is decoded.
   */
  public static StampedTransport onAddress(InetSocketAddress address, InstantSource clock, InFlightReads inFlight,
      ServerLimits limits, ConnectionCaps caps, ServerCredentials credentials) {
    return new StampedTransport(address, clock, inFlight, defaultWorkerThreads(), limits, caps, credentials);
  }

  /** Buyer connections open now. */
  public int openConnections() {
    return front.openConnections();
  }

  /** Connections closed unread so far because the node ({@code byNode}) or their client's address was at its cap. */
  public long refusedConnections(boolean byNode) {
    return front.refusedConnections(byNode);
  }

  /** The threads that read the sockets and stamp (tests). */
  EventLoopGroup readers() {
    return readers;
  }

  /** "epoll" (Linux's native transport) or "nio" (the JDK's, where epoll does not load). */
  public String kind() {
    return kind;
  }

  /** The builder to configure further and build; use it once, and {@link #open} once its server has started. */
  public ServerBuilder<?> serverBuilder() {
    return builder;
  }

  /** Opens the socket once the server built from {@link #serverBuilder} has started; returns the port. */
  public int open() throws IOException {
    front.open();
    return front.port();
  }

  /** The socket's port, or -1 before {@link #open}. */
  public int port() {
    return front.port();
  }

  /** Where a client on this host reaches the socket (its {@code --bind} address, else loopback); null before {@link #open}. */
  public InetSocketAddress reachableAddress() {
    return front.reachableAddress();
  }

  /** Stops taking connections (open ones stay until their server ends them). */
  public void closeSocket() {
    front.close();
  }

  @Override
  public void close() {
    front.close();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    readers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    decoders.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private static int defaultWorkerThreads() {
    return Math.max(2, Runtime.getRuntime().availableProcessors());
  }

  /**
   * The decoding threads. Both ends of a connection's in-process channel run on one of them: the
   * front door's end picks it, and gRPC's end, accepted, joins it. Across two threads, Netty's
   * local transport may run the close of gRPC's end before the read of what it wrote just before
   * (a finishing read that re-queues itself behind the close while the other end is writing), and
   * drop it: a GOAWAY written as gRPC ends a connection whose client is still sending was lost so.
   * On one thread the write is read before the close; and an answer no longer changes threads.
   */
  private static final class PairedLoops extends MultiThreadIoEventLoopGroup {
    PairedLoops(int threads, ThreadFactory threadFactory) {
      super(threads, threadFactory, LocalIoHandler.newFactory());
    }

    @Override
    public ChannelFuture register(Channel channel) {
      if (channel instanceof AcceptedEnd accepted) return accepted.peerLoop.register(channel);
      return super.register(channel);
    }
  }

  /** gRPC's in-process listener: each end it accepts is registered on its peer's thread ({@link PairedLoops}). */
  private static final class PairedLocalServerChannel extends LocalServerChannel {
    @Override
    protected LocalChannel newLocalChannel(LocalChannel peer) {
      return new AcceptedEnd(this, peer);
    }
  }

  /** gRPC's end of one connection, knowing the thread of the front door's end. */
  private static final class AcceptedEnd extends LocalChannel {
    final EventLoop peerLoop;

    AcceptedEnd(LocalServerChannel parent, LocalChannel peer) {
      super(parent, peer);
      this.peerLoop = peer.eventLoop();
    }
  }

  /** Event loops that go back to their sockets after {@link #TASK_QUANTUM_MS} of queued tasks. */
  private static final class ReadFirstLoops extends MultiThreadIoEventLoopGroup {
    ReadFirstLoops(int threads, ThreadFactory threadFactory, IoHandlerFactory io) {
      super(threads, threadFactory, io);
    }

    @Override
    protected IoEventLoop newChild(Executor executor, IoHandlerFactory io, Object... args) {
      return new SingleThreadIoEventLoop(this, executor, io, Integer.MAX_VALUE, RejectedExecutionHandlers.reject(),
          TASK_QUANTUM_MS);
    }
  }
}
