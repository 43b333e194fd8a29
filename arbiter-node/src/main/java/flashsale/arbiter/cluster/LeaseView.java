package flashsale.arbiter.cluster;

/**
 * The lease as one acquire attempt saw it.
 *
 * @param mine this node holds it (just acquired)
 * @param epoch the holder's fencing epoch; 0 when nobody holds it
 * @param leaderAddress the holder's advertised {@code host:port}; empty when nobody holds it
 */
public record LeaseView(boolean mine, long epoch, String leaderAddress) {}
