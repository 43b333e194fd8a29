package flashsale.region.transport;

import io.grpc.InsecureServerCredentials;
import flashsale.net.ServerLimits;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A Netty server transport whose connections stamp every socket read (see the package doc). The
 * event-loop threads only read and decode: calls run on a separate small pool, so a slow handler
 * delays no later read and therefore no later stamp. Owns its threads: {@link #close()} them after
 * the server has terminated.
 */
public final class StampedTransport implements AutoCloseable {
  static final int READ_BUFFER_MIN_BYTES = 64 << 10;
  static final int READ_BUFFER_MAX_BYTES = 1 << 20;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService calls;
  private final NettyServerBuilder builder;

  private StampedTransport(InetSocketAddress address, InstantSource clock, int workerThreads, ServerLimits limits,
      ServerCredentials credentials) {
    this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("region-accept", true),
        NioIoHandler.newFactory());
    // The reading threads stamp: ask the OS to run them first (takes effect with
    // -XX:ThreadPriorityPolicy=1 where the process may raise priorities, as root does).
    this.workers = new MultiThreadIoEventLoopGroup(workerThreads,
        new DefaultThreadFactory("region-read", true, Thread.MAX_PRIORITY), NioIoHandler.newFactory());
    this.calls = Executors.newFixedThreadPool(workerThreads, new DefaultThreadFactory("region-call", true));
    ReadStampHandler stamper = new ReadStampHandler(clock);
    // TLS, when on, is decoded after the stamp: the stamping handler heads the pipeline.
    this.builder = limits.apply(NettyServerBuilder.forAddress(address, credentials))
        .executor(calls)
        .channelFactory(() -> new StampingServerSocketChannel(stamper))
        // One read takes what a burst left in the socket: Netty decodes each read before the next
        // one, so with its 2 KiB first buffer the 18th purchase of a burst was read (and stamped)
        // only after the first 17 were decoded, 9 ms later on a cold node.
        .withChildOption(ChannelOption.RCVBUF_ALLOCATOR,
            new AdaptiveRecvByteBufAllocator(READ_BUFFER_MIN_BYTES, READ_BUFFER_MIN_BYTES, READ_BUFFER_MAX_BYTES))
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers);
  }

  /** A transport listening on {@code port} (0 picks a free one) of every interface, with the region's default limits. */
  public static StampedTransport onPort(int port, InstantSource clock) {
    return onAddress(new InetSocketAddress(port), clock, ServerLimits.regionDefaults(), InsecureServerCredentials.create());
  }

  /**
   * A transport listening on one address ({@code --bind}), each connection held to {@code limits},
   * serving buyers with {@code credentials} (TLS or plaintext).
   */
  public static StampedTransport onAddress(InetSocketAddress address, InstantSource clock, ServerLimits limits,
      ServerCredentials credentials) {
    return new StampedTransport(address, clock, defaultWorkerThreads(), limits, credentials);
  }

  /** The builder to configure further and build; use it once. */
  public ServerBuilder<?> serverBuilder() {
    return builder;
  }

  @Override
  public void close() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    calls.shutdownNow();
  }

  private static int defaultWorkerThreads() {
    return Math.max(2, Runtime.getRuntime().availableProcessors());
  }
}
