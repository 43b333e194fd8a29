package flashsale.net;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.TimeUnit;

/**
 * What one client connection may hold of a node's server, in one place for both nodes. A socket
 * that has not completed the HTTP/2 preface and SETTINGS within {@code handshakeTimeoutMs} is
 * closed (grpc-java starts the transport only on the client's first SETTINGS), which bounds idle
 * and half-open sockets; a connection without calls for {@code maxConnectionIdleMs} is closed
 * gracefully; one older than {@code maxConnectionAgeMs} is told to go (GOAWAY) and closed after
 * {@code maxConnectionAgeGraceMs} more. 0 turns an age or idle limit off.
 *
 * @param handshakeTimeoutMs time a new socket has to send the preface and its first SETTINGS
 * @param maxConnectionIdleMs a connection without calls this long is closed; 0 never
 * @param maxConnectionAgeMs a connection this old is asked to go away; 0 never
 * @param maxConnectionAgeGraceMs calls still open after the age limit get this long to end
 * @param permitKeepAliveTimeMs clients may ping at most this often (GOAWAY beyond), with or without calls
 * @param maxConcurrentCallsPerConnection most calls open at once on one connection
 * @param maxHeaderListBytes largest header block a call may send (a larger one closes the connection)
 */
public record ServerLimits(long handshakeTimeoutMs, long maxConnectionIdleMs, long maxConnectionAgeMs,
    long maxConnectionAgeGraceMs, long permitKeepAliveTimeMs, int maxConcurrentCallsPerConnection,
    int maxHeaderListBytes) {

  public ServerLimits {
    if (handshakeTimeoutMs < 1) throw new IllegalArgumentException("handshake timeout must be at least 1 ms");
    if (maxConnectionIdleMs < 0 || maxConnectionAgeMs < 0 || maxConnectionAgeGraceMs < 0) {
      throw new IllegalArgumentException("connection idle, age and grace must be 0 (off) or more ms");
    }
    if (permitKeepAliveTimeMs < 0) throw new IllegalArgumentException("permitted keepalive time must be 0 or more ms");
    if (maxConcurrentCallsPerConnection < 1) throw new IllegalArgumentException("max concurrent calls must be at least 1");
    if (maxHeaderListBytes < 1024) throw new IllegalArgumentException("max header list must be at least 1024 bytes");
  }

  /**
   * A region's buyer-facing port: many short calls, thousands on one connection in a burst;
   * connections age out after an hour so load spreads again.
   */
  public static ServerLimits regionDefaults() {
    return new ServerLimits(10_000, 300_000, 3_600_000, 60_000, 5_000, 20_000, 8_192);
  }

  /**
   * An arbiter: few clients (regions, operators), each region holding one stream for as long as
   * it can, so no age limit (an aged-out stream is a reconnect and a resend of every pending ticket),
   * and a region's look-ups for its buyers (GetDecision, LookupEvent) share its one connection.
   */
  public static ServerLimits arbiterDefaults() {
    return new ServerLimits(10_000, 300_000, 0, 60_000, 5_000, 10_000, 8_192);
  }

  /** Applies every limit to {@code builder} and returns it. */
  public NettyServerBuilder apply(NettyServerBuilder builder) {
    builder.handshakeTimeout(handshakeTimeoutMs, TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(permitKeepAliveTimeMs, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .maxConcurrentCallsPerConnection(maxConcurrentCallsPerConnection)
        .maxInboundMetadataSize(maxHeaderListBytes);
    if (maxConnectionIdleMs > 0) builder.maxConnectionIdle(maxConnectionIdleMs, TimeUnit.MILLISECONDS);
    if (maxConnectionAgeMs > 0) {
      builder.maxConnectionAge(maxConnectionAgeMs, TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(maxConnectionAgeGraceMs, TimeUnit.MILLISECONDS);
    }
    return builder;
  }
}
