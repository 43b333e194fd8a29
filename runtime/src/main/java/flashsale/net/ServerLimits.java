package flashsale.net;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.TimeUnit;

/**
 * What one client connection may hold of a node's server, in one place for both nodes. A socket
 * that has not completed the HTTP/2 preface and SETTINGS within {@code handshakeTimeoutMs} is
 * closed (grpc-java starts the transport only on the client's first SETTINGS), which bounds idle
 * and half-open sockets; a connection without calls for {@code maxConnectionIdleMs} is closed
 * gracefully; one older than {@code maxConnectionAgeMs} is told to go (GOAWAY) and closed after
 * {@code maxConnectionAgeGraceMs} more. 0 turns an age or idle limit off. A connection that sends
 * nothing for {@code keepAliveTimeMs} is pinged, and closed when the ping is not answered within
 * {@code keepAliveTimeoutMs}: a peer frozen or cut off without a reset (a paused VM, a network that
 * drops packets) would otherwise hold its calls, and what the node writes to them, until TCP gives up
 * (about 15 minutes on Linux).
 *
 * @param handshakeTimeoutMs time a new socket has to send the preface and its first SETTINGS
 * @param maxConnectionIdleMs a connection without calls this long is closed; 0 never
 * @param maxConnectionAgeMs a connection this old is asked to go away; 0 never
 * @param maxConnectionAgeGraceMs calls still open after the age limit get this long to end
 * @param permitKeepAliveTimeMs clients may ping at most this often (GOAWAY beyond), with or without calls
 * @param maxConcurrentCallsPerConnection most calls open at once on one connection
 * @param maxHeaderListBytes largest header block a call may send (a larger one closes the connection)
 * @param keepAliveTimeMs a connection silent this long is pinged
 * @param keepAliveTimeoutMs a ping not answered within this long closes the connection
 * @param maxResetsPerWindow most streams reset on one connection per {@code resetWindowSeconds} (a fixed
 *     window): RST_STREAM frames the client sends, and those the server sends for a protocol error
 *     (not NO_ERROR or CANCEL); one more closes the connection (GOAWAY ENHANCE_YOUR_CALM). The HTTP/2
 *     "rapid reset" attack opens and cancels calls faster than any limit on open calls counts them; 0
 *     never
 * @param resetWindowSeconds the window {@code maxResetsPerWindow} counts over
 */
public record ServerLimits(long handshakeTimeoutMs, long maxConnectionIdleMs, long maxConnectionAgeMs,
    long maxConnectionAgeGraceMs, long permitKeepAliveTimeMs, int maxConcurrentCallsPerConnection,
    int maxHeaderListBytes, long keepAliveTimeMs, long keepAliveTimeoutMs, int maxResetsPerWindow,
    int resetWindowSeconds) {

  /** The shortest keepalive time gRPC takes (io.grpc.internal.KeepAliveManager). */
  public static final long MIN_KEEPALIVE_TIME_MS = 10_000;

  public ServerLimits {
    if (handshakeTimeoutMs < 1) throw new IllegalArgumentException("handshake timeout must be at least 1 ms");
    if (maxConnectionIdleMs < 0 || maxConnectionAgeMs < 0 || maxConnectionAgeGraceMs < 0) {
      throw new IllegalArgumentException("connection idle, age and grace must be 0 (off) or more ms");
    }
    if (permitKeepAliveTimeMs < 0) throw new IllegalArgumentException("permitted keepalive time must be 0 or more ms");
    if (maxConcurrentCallsPerConnection < 1) throw new IllegalArgumentException("max concurrent calls must be at least 1");
    if (maxHeaderListBytes < 1024) throw new IllegalArgumentException("max header list must be at least 1024 bytes");
    if (keepAliveTimeMs < MIN_KEEPALIVE_TIME_MS) {
      // gRPC would raise a smaller one to its minimum without a word.
      throw new IllegalArgumentException("keepalive time must be at least " + MIN_KEEPALIVE_TIME_MS + " ms (gRPC's minimum)");
    }
    if (keepAliveTimeoutMs < 10) throw new IllegalArgumentException("keepalive timeout must be at least 10 ms (gRPC's minimum)");
    if (maxResetsPerWindow < 0) throw new IllegalArgumentException("max resets per window must be 0 (off) or more");
    if (resetWindowSeconds < 1) throw new IllegalArgumentException("reset window must be at least 1 s");
  }

  /**
   * A region's buyer-facing port: many short calls, thousands on one connection in a burst;
   * connections age out after an hour so load spreads again; a buyer's connection silent for a
   * minute is pinged (gRPC's own default waits two hours). A connection may reset 20,000 calls a
   * second over 10 s: a gateway whose purchases outlive their deadlines (each cancelled by its
   * client) at most of the rate one connection carries in {@code flashsale bench} (24,000-27,000 a
   * second); a rapid-reset attack sends hundreds of thousands a second.
   */
  public static ServerLimits regionDefaults() {
    return new ServerLimits(10_000, 300_000, 3_600_000, 60_000, 5_000, 20_000, 8_192, 60_000, 20_000, 200_000, 10);
  }

  /**
   * An arbiter: few clients (regions, operators), each region holding one stream for as long as
   * it can, so no age limit (an aged-out stream is a reconnect and a resend of every pending ticket),
   * and a region's look-ups for its buyers (GetDecision, LookupEvent) share its one connection. A
   * region speaks every few ms, so one silent for 10 s is frozen or cut off: pinged, and dropped 5 s
   * later, as the region's own link drops a silent arbiter, rather than left holding everything
   * the arbiter writes to it.
   */
  public static ServerLimits arbiterDefaults() {
    return new ServerLimits(10_000, 300_000, 0, 60_000, 5_000, 10_000, 8_192, 10_000, 5_000, 100_000, 10);
  }

  /** Applies every limit to {@code builder} and returns it. */
  public NettyServerBuilder apply(NettyServerBuilder builder) {
    builder.handshakeTimeout(handshakeTimeoutMs, TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(permitKeepAliveTimeMs, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .maxConcurrentCallsPerConnection(maxConcurrentCallsPerConnection)
        .maxInboundMetadataSize(maxHeaderListBytes)
        .keepAliveTime(keepAliveTimeMs, TimeUnit.MILLISECONDS)
        .keepAliveTimeout(keepAliveTimeoutMs, TimeUnit.MILLISECONDS);
    if (maxResetsPerWindow > 0) builder.maxRstFramesPerWindow(maxResetsPerWindow, resetWindowSeconds);
    if (maxConnectionIdleMs > 0) builder.maxConnectionIdle(maxConnectionIdleMs, TimeUnit.MILLISECONDS);
    if (maxConnectionAgeMs > 0) {
      builder.maxConnectionAge(maxConnectionAgeMs, TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(maxConnectionAgeGraceMs, TimeUnit.MILLISECONDS);
    }
    return builder;
  }
}
