package flashsale.region.transport;

/**
 * How many buyer connections a region node holds open at once: in all, and from one client IP
 * address. A connection beyond either is closed as it is accepted, before it is read: a client
 * that opens sockets by the thousand (each holding HTTP/2 state, buffers and a file descriptor)
 * cannot exhaust the node's memory, and with a cap per address one address cannot take the whole
 * node's share (without one, it can: set it where buyers reach the node directly).
 *
 * @param maxConnections most connections open at once on the node
 * @param maxConnectionsPerAddress most of them from one client IP address (a proxy or a NAT gateway
 *     counts as one); 0 none of its own
 */
public record ConnectionCaps(int maxConnections, int maxConnectionsPerAddress) {
  /**
   * gRPC clients multiplex their calls over one connection or a few: 20,000 connections are far more
   * than a node's gateways and load balancers open. No cap per address by default, as {@code
   * --address-rate}: behind a proxy or a load balancer that rewrites addresses every buyer shares one.
   */
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 0;
  public static final ConnectionCaps DEFAULTS = new ConnectionCaps(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);

  public ConnectionCaps {
    if (maxConnections < 1) throw new IllegalArgumentException("max connections must be at least 1, got " + maxConnections);
    if (maxConnectionsPerAddress < 0 || maxConnectionsPerAddress > maxConnections) {
      throw new IllegalArgumentException("max connections per address must be 0 (none of its own) to max connections ("
          + maxConnections + "), got " + maxConnectionsPerAddress);
    }
  }
}
