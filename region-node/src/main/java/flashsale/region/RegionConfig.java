package flashsale.region;

import flashsale.sale.Identifiers;
import flashsale.net.ServerLimits;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.StampUncertainty;
import java.util.List;

/**
 * A region node's settings. Build one with {@link #builder(String)} (production defaults); the
 * constructor rejects nonsense with an {@link IllegalArgumentException} that names
 * the setting.
 *
 * @param arbiterTargets {@code host:port} of each arbiter node, tried in turn; may be empty when
 *     the caller hands {@link RegionServer} its own channels
 * @param heartbeatIntervalMs how often an idle region sends a watermark
 * @param maxPending most purchases waiting for the arbiter at once (RESOURCE_EXHAUSTED beyond)
 * @param clockProbeIntervalMs how often the region probes its clock offset to the arbiter
 * @param rememberedDecisions how many decisions are kept for retries, the newest (see RecentDecisions)
 * @param arbiterCallTimeoutMs deadline of each unary call to the arbiter
 * @param maxArbiterQueries most unary calls to the arbiter open at once (buyers' look-ups of
 *     purchases and events this node does not know); beyond it a look-up is answered
 *     RESOURCE_EXHAUSTED at once, so a flood of them cannot crowd out the arbiter stream
 * @param eventViewMaxAgeMs how old a reservation's slots or an auction's standing may be when
 *     {@code GetEvent} answers it: one look-up at the arbiter serves every buyer asking within
 *     this time of its answer (0: only those asking while it is open)
 * @param reconnectMinMs first reconnect delay; doubles per failure up to {@code reconnectMaxMs}
 * @param warmupPurchases refused purchases a node on a socket sends itself before it reports
 *     SERVING, so its first burst is stamped as promptly as later ones; 0 skips the warm-up
 * @param uncertainty what each ticket reports as its stamp's error bound (host clock sync's bound or
 *     the probes' ClockBound rule, plus the stamping bound)
 * @param arbiterSilenceTimeoutMs an arbiter stream that brought nothing (not even a clock reply)
 *     for this long is dropped and the next arbiter tried; about the arbiters' lease ttl, so a
 *     region leaves a frozen leader about when its lease runs out
 * @param buyerLimits new purchases per user id and client address, undecided purchases per user
 * @param serverLimits what one buyer connection may hold of the port (idle, age, calls, headers)
 * @param nodeId this node of the region: a region may run several nodes (behind an L4 load
 *     balancer), each its own ordered stream at the arbiter, told apart by this id; empty derives
 *     {@code host:port} when the server starts ({@link RegionNodeId})
 * @param partitions how many partitions the arbiters split events into ({@code --partitions}, the
 *     same on every node and arbiter): the node keeps one stream per partition, to its leader
 * @param shutdownDrainMs on stop, how long the node waits for its pending purchases to be decided
 *     (taking no new calls meanwhile) before it fails the rest with UNAVAILABLE SHUTTING_DOWN; 0
 *     fails them at once
 * @param requestArrivalTimeoutMs a buyer's call whose one request has not arrived whole this long
 *     after its headers is closed DEADLINE_EXCEEDED REQUEST_INCOMPLETE ({@link
 *     flashsale.net.IncompleteRequests}); 0 never
 * @param connectionCaps most buyer connections open at once, in all and from one client address
 */
public record RegionConfig(
    String region,
    List<String> arbiterTargets,
    long heartbeatIntervalMs,
    int maxPending,
    long clockProbeIntervalMs,
    int rememberedDecisions,
    long arbiterCallTimeoutMs,
    int maxArbiterQueries,
    long eventViewMaxAgeMs,
    long reconnectMinMs,
    long reconnectMaxMs,
    int warmupPurchases,
    StampUncertainty uncertainty,
    long arbiterSilenceTimeoutMs,
    BuyerLimits.Settings buyerLimits,
    ServerLimits serverLimits,
    String nodeId,
    flashsale.sale.Partitions partitions,
    long shutdownDrainMs,
    long requestArrivalTimeoutMs,
    flashsale.region.transport.ConnectionCaps connectionCaps) {

  public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 2;
  public static final int DEFAULT_MAX_PENDING = 100_000;
  public static final long DEFAULT_CLOCK_PROBE_INTERVAL_MS = 100;
  public static final int DEFAULT_REMEMBERED_DECISIONS = 1_000_000;
  public static final int DEFAULT_WARMUP_PURCHASES = 10_000;
  /** Look-ups answer within the 2 s call deadline at well over 1,000/s from a healthy arbiter. */
  public static final int DEFAULT_MAX_ARBITER_QUERIES = 256;
  /** Buyers polling a reservation see its slots at most this stale (plus the look-up's round trip). */
  public static final long DEFAULT_EVENT_VIEW_MAX_AGE_MS = 100;
  /** The arbiters' default lease ttl. */
  public static final long DEFAULT_ARBITER_SILENCE_TIMEOUT_MS = 2_000;
  /** A decision takes the far region's one-way delay and a store write: well under this. */
  public static final long DEFAULT_SHUTDOWN_DRAIN_MS = 3_000;
  /** Below this, ordinary scheduling hiccups would look like a dead arbiter. */
  public static final long MIN_ARBITER_SILENCE_TIMEOUT_MS = 100;

  public RegionConfig {
    if (region == null || !Identifiers.REGION.matcher(region).matches()) {
      throw new IllegalArgumentException("region must be 1 to 64 of [A-Za-z0-9._-], got '" + region + "'");
    }
    arbiterTargets = List.copyOf(arbiterTargets);
    java.util.Objects.requireNonNull(nodeId, "nodeId");
    java.util.Objects.requireNonNull(partitions, "partitions");
    if (!nodeId.isEmpty() && !Identifiers.ID.matcher(nodeId).matches()) {
      throw new IllegalArgumentException("node id must be 1 to 64 of [A-Za-z0-9._:-] (or empty to derive host:port), got '"
          + nodeId + "'");
    }
    java.util.Objects.requireNonNull(uncertainty, "uncertainty");
    java.util.Objects.requireNonNull(buyerLimits, "buyerLimits");
    java.util.Objects.requireNonNull(serverLimits, "serverLimits");
    java.util.Objects.requireNonNull(connectionCaps, "connectionCaps");
    if (requestArrivalTimeoutMs < 0
        || (requestArrivalTimeoutMs > 0 && requestArrivalTimeoutMs < flashsale.net.IncompleteRequests.MIN_TIMEOUT_MS)) {
      throw new IllegalArgumentException("request arrival timeout ms must be 0 (off) or at least "
          + flashsale.net.IncompleteRequests.MIN_TIMEOUT_MS + ", got " + requestArrivalTimeoutMs);
    }
    arbiterTargets.forEach(RegionConfig::checkHostPort);
    positive("heartbeat interval ms", heartbeatIntervalMs);
    positive("max pending", maxPending);
    positive("clock probe interval ms", clockProbeIntervalMs);
    positive("remembered decisions", rememberedDecisions);
    positive("arbiter call timeout ms", arbiterCallTimeoutMs);
    positive("max arbiter queries", maxArbiterQueries);
    if (eventViewMaxAgeMs < 0) {
      throw new IllegalArgumentException("event view max age ms must be 0 or more, got " + eventViewMaxAgeMs);
    }
    positive("reconnect min ms", reconnectMinMs);
    if (shutdownDrainMs < 0) throw new IllegalArgumentException("shutdown drain ms must be 0 or more, got " + shutdownDrainMs);
    if (warmupPurchases < 0) throw new IllegalArgumentException("warmup purchases must be 0 or more, got " + warmupPurchases);
    if (reconnectMaxMs < reconnectMinMs) {
      throw new IllegalArgumentException("reconnect max ms " + reconnectMaxMs + " below min " + reconnectMinMs);
    }
    if (arbiterSilenceTimeoutMs < MIN_ARBITER_SILENCE_TIMEOUT_MS) {
      throw new IllegalArgumentException("arbiter silence timeout ms must be at least " + MIN_ARBITER_SILENCE_TIMEOUT_MS
          + ", got " + arbiterSilenceTimeoutMs);
    }
  }

  /** Production defaults; no arbiter targets yet. */
  public static RegionConfig defaults(String region) {
    return builder(region).build();
  }

  /** A builder starting from the production defaults. */
  public static Builder builder(String region) {
    return new Builder(region);
  }

  /** Starts a builder from this config, to change a setting or two. */
  public Builder toBuilder() {
    Builder b = new Builder(region);
    b.arbiterTargets = arbiterTargets;
    b.heartbeatIntervalMs = heartbeatIntervalMs;
    b.maxPending = maxPending;
    b.clockProbeIntervalMs = clockProbeIntervalMs;
    b.rememberedDecisions = rememberedDecisions;
    b.arbiterCallTimeoutMs = arbiterCallTimeoutMs;
    b.maxArbiterQueries = maxArbiterQueries;
    b.eventViewMaxAgeMs = eventViewMaxAgeMs;
    b.reconnectMinMs = reconnectMinMs;
    b.reconnectMaxMs = reconnectMaxMs;
    b.warmupPurchases = warmupPurchases;
    b.uncertainty = uncertainty;
    b.arbiterSilenceTimeoutMs = arbiterSilenceTimeoutMs;
    b.buyerLimits = buyerLimits;
    b.serverLimits = serverLimits;
    b.nodeId = nodeId;
    b.shutdownDrainMs = shutdownDrainMs;
    b.partitions = partitions;
    b.requestArrivalTimeoutMs = requestArrivalTimeoutMs;
    b.connectionCaps = connectionCaps;
    return b;
  }

  /** Mutable twin of {@link RegionConfig}; {@link #build()} validates. */
  public static final class Builder {
    private final String region;
    private List<String> arbiterTargets = List.of();
    private long heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    private int maxPending = DEFAULT_MAX_PENDING;
    private long clockProbeIntervalMs = DEFAULT_CLOCK_PROBE_INTERVAL_MS;
    private int rememberedDecisions = DEFAULT_REMEMBERED_DECISIONS;
    private long arbiterCallTimeoutMs = 2_000;
    private int maxArbiterQueries = DEFAULT_MAX_ARBITER_QUERIES;
    private long eventViewMaxAgeMs = DEFAULT_EVENT_VIEW_MAX_AGE_MS;
    private long reconnectMinMs = 50;
    private long reconnectMaxMs = 2_000;
    private int warmupPurchases = DEFAULT_WARMUP_PURCHASES;
    private StampUncertainty uncertainty = StampUncertainty.defaults();
    private long arbiterSilenceTimeoutMs = DEFAULT_ARBITER_SILENCE_TIMEOUT_MS;
    private BuyerLimits.Settings buyerLimits = BuyerLimits.Settings.defaults();
    private ServerLimits serverLimits = ServerLimits.regionDefaults();
    private String nodeId = "";
    private flashsale.sale.Partitions partitions = flashsale.sale.Partitions.ONE;
    private long shutdownDrainMs = DEFAULT_SHUTDOWN_DRAIN_MS;
    private long requestArrivalTimeoutMs = flashsale.net.IncompleteRequests.DEFAULT_TIMEOUT_MS;
    private flashsale.region.transport.ConnectionCaps connectionCaps = flashsale.region.transport.ConnectionCaps.DEFAULTS;

    private Builder(String region) {
      this.region = region;
    }

    public Builder arbiterTargets(List<String> hostPorts) {
      this.arbiterTargets = hostPorts;
      return this;
    }

    public Builder heartbeatIntervalMs(long ms) {
      this.heartbeatIntervalMs = ms;
      return this;
    }

    public Builder maxPending(int count) {
      this.maxPending = count;
      return this;
    }

    public Builder clockProbeIntervalMs(long ms) {
      this.clockProbeIntervalMs = ms;
      return this;
    }

    public Builder rememberedDecisions(int count) {
      this.rememberedDecisions = count;
      return this;
    }

    public Builder arbiterCallTimeoutMs(long ms) {
      this.arbiterCallTimeoutMs = ms;
      return this;
    }

    public Builder maxArbiterQueries(int count) {
      this.maxArbiterQueries = count;
      return this;
    }

    public Builder eventViewMaxAgeMs(long ms) {
      this.eventViewMaxAgeMs = ms;
      return this;
    }

    public Builder reconnectMs(long minMs, long maxMs) {
      this.reconnectMinMs = minMs;
      this.reconnectMaxMs = maxMs;
      return this;
    }

    public Builder warmupPurchases(int count) {
      this.warmupPurchases = count;
      return this;
    }

    public Builder uncertainty(StampUncertainty stampUncertainty) {
      this.uncertainty = stampUncertainty;
      return this;
    }

    public Builder arbiterSilenceTimeoutMs(long ms) {
      this.arbiterSilenceTimeoutMs = ms;
      return this;
    }

    public Builder buyerLimits(BuyerLimits.Settings limits) {
      this.buyerLimits = limits;
      return this;
    }

    public Builder serverLimits(ServerLimits limits) {
      this.serverLimits = limits;
      return this;
    }

    /** This node's id within its region; empty derives {@code host:port} at start. */
    public Builder nodeId(String id) {
      this.nodeId = id;
      return this;
    }

    /** How many partitions the arbiters split events into: one stream per partition. */
    public Builder partitions(int count) {
      this.partitions = new flashsale.sale.Partitions(count);
      return this;
    }

    /** How long a stopping node waits for its pending purchases' decisions; 0 fails them at once. */
    public Builder shutdownDrainMs(long ms) {
      this.shutdownDrainMs = ms;
      return this;
    }

    /** How long a buyer's call may take to send its whole request after its headers; 0 never closes one. */
    public Builder requestArrivalTimeoutMs(long ms) {
      this.requestArrivalTimeoutMs = ms;
      return this;
    }

    /** Most buyer connections open at once, in all and from one client address. */
    public Builder connectionCaps(flashsale.region.transport.ConnectionCaps caps) {
      this.connectionCaps = caps;
      return this;
    }

    public RegionConfig build() {
      return new RegionConfig(region, arbiterTargets, heartbeatIntervalMs, maxPending, clockProbeIntervalMs,
          rememberedDecisions, arbiterCallTimeoutMs, maxArbiterQueries, eventViewMaxAgeMs, reconnectMinMs, reconnectMaxMs, warmupPurchases,
          uncertainty, arbiterSilenceTimeoutMs, buyerLimits, serverLimits, nodeId, partitions, shutdownDrainMs,
          requestArrivalTimeoutMs, connectionCaps);
    }
  }

  private static void positive(String name, long value) {
    if (value < 1) throw new IllegalArgumentException(name + " must be at least 1, got " + value);
  }

  private static void checkHostPort(String target) {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new IllegalArgumentException("arbiter must be host:port, got '" + target + "'");
    }
    try {
      int port = Integer.parseInt(target.substring(colon + 1));
      if (port < 1 || port > 65_535) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("arbiter port must be 1 to 65535, got '" + target + "'");
    }
  }
}
