package flashsale.arbiter;

/**
 * Settings of one arbiter node.
 *
 * @param redisUri {@code redis://host:port}, or null for an in-memory store (single process only)
 * @param maxClockSkewMicros a region whose clock is provably further off than this is not ranked
 * @param maxBatchSize most decisions persisted in one store call
 * @param maxInboundMessageBytes cap on any message a client or region sends
 */
public record ArbiterConfig(
    String arbiterId,
    int port,
    String redisUri,
    long maxClockSkewMicros,
    int maxBatchSize,
    int maxInboundMessageBytes) {

  public static ArbiterConfig defaults() {
    return new ArbiterConfig("arbiter-1", 9090, null, 5_000, 1024, 4 << 20);
  }

  public ArbiterConfig withPort(int newPort) {
    return new ArbiterConfig(arbiterId, newPort, redisUri, maxClockSkewMicros, maxBatchSize, maxInboundMessageBytes);
  }

  public ArbiterConfig withRedis(String uri) {
    return new ArbiterConfig(arbiterId, port, uri, maxClockSkewMicros, maxBatchSize, maxInboundMessageBytes);
  }

  public ArbiterConfig withMaxClockSkewMicros(long micros) {
    return new ArbiterConfig(arbiterId, port, redisUri, micros, maxBatchSize, maxInboundMessageBytes);
  }
}
