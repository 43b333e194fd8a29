package flashsale.region.core;

import flashsale.loop.LoopScheduler;
import flashsale.region.core.ClockOffsetEstimator.ClockSample;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region's end of the sequencing stream, without the transport: hello, resend of undecided
 * tickets, batched live tickets, watermark heartbeats and clock probes out; arbiter messages in.
 * When the stream breaks it reconnects and the purchases stay pending: to the leader a standby
 * named, else to the next arbiter in turn. A standby naming a leader not just tried is followed at
 * the minimum delay, and each arbiter gets one prompt try per round; every other answer (a failure,
 * a standby that knows no leader, or one naming a leader that was just tried) waits longer each
 * time, with jitter, since each hello resends every undecided ticket.
 *
 * <p>A stream that has been silent longer than the silence timeout is dropped: the arbiter answers
 * every clock probe, and the link probes whenever it has heard nothing for half the timeout, so
 * silence means a frozen or cut-off arbiter. For one timeout after that only the other arbiters
 * are tried, and a standby naming the silent one as leader is not followed: its lease may simply
 * not have run out yet. What goes out in which order is {@link StreamOutbox}'s call.
 *
 * <p>Loop-owned: every method but {@link #connected()} runs on the {@link LoopScheduler}, and so
 * do the transport's callbacks. The transport (gRPC in production, a simulated network in tests)
 * only translates messages.
 *
 * @param <D> the arbiter's sale messages, handed on as they come
 */
public final class ArbiterStream<D> {
  private static final Logger log = LoggerFactory.getLogger(ArbiterStream.class);

  /** Timings of the link, all in milliseconds. */
  public record Settings(long heartbeatIntervalMs, long clockProbeIntervalMs, long reconnectMinMs, long reconnectMaxMs,
      long silenceTimeoutMs) {
    public Settings {
      if (silenceTimeoutMs < 2) throw new IllegalArgumentException("silence timeout ms must be at least 2, got " + silenceTimeoutMs);
    }
  }

  /** One message up the stream. */
  public sealed interface Out {
    /**
     * @param nodeId the node of the region this stream speaks for; empty for its unnamed node
     * @param siblingNodeIds the region's other nodes as an arbiter last listed them
     * @param partition the partition of events this stream carries, of {@code partitionCount}
     */
    record Hello(String region, String instanceId, String nodeId, List<String> siblingNodeIds, int partition,
        int partitionCount) implements Out {
      public Hello {
        siblingNodeIds = List.copyOf(siblingNodeIds);
      }
    }

    record Upstream(StreamOutbox.Up up) implements Out {}

    record Probe(long originMicros) implements Out {}

    record Report(long offsetMicros, long roundTripMicros) implements Out {}
  }

  /**
   * Opens streams to the configured arbiters, numbered from 0, and to leaders a standby named
   * outside them; delivers each stream's callbacks on the loop.
   */
  public interface Transport<D> {
    /** How many arbiters are configured: the rotation, which never grows. */
    int channels();

    /** The configured channel of the arbiter a standby named; -1 when it is not one of them. */
    int indexOf(String arbiterId);

    Stream open(int channelIndex, ArbiterStream<D>.Inbound inbound);

    /**
     * Opens a stream to a leader a standby named that is not configured ({@link #indexOf} -1),
     * through a connection kept only for following it. A transport that knows only configured
     * arbiters never gets this call.
     */
    default Stream openLeader(String arbiterId, ArbiterStream<D>.Inbound inbound) {
      throw new UnsupportedOperationException("no arbiter " + arbiterId + " among the configured ones");
    }
  }

  /**
   * Where an attempt goes: configured arbiter {@code index}, or, when {@code leader} is not empty,
   * a leader a standby named outside the configured ones.
   */
  private record Target(int index, String leader) {
    static final Target NONE = new Target(-1, "");
  }

  /** One open stream. */
  public interface Stream {
    void send(Out message);

    /** Ends the stream from this side; its own end callback may still come, and is ignored. */
    void cancel(String why);
  }

  /**
   * How the arbiter ended a stream: {@code standby} when a standby refused it (NOT_LEADER),
   * naming the leader in {@code leader} if it knows one (else empty).
   */
  public record End(String why, boolean standby, String leader, boolean sameArbiter) {
    public End(String why, boolean standby, String leader) {
      this(why, standby, leader, false);
    }

    public static End failed(String why) {
      return new End(why, false, "");
    }

    /**
     * The arbiter refused the credentials of the stream's connection (its client certificate
     * expired, say): the same arbiter is asked again, through the connection the channels hold
     * now (a renewed certificate's), not the next one in turn, which is likely a standby.
     */
    public static End credentialsRefused(String why) {
      return new End(why, false, "", true);
    }
  }

  /** A stream's callbacks, bound to its generation: those of a replaced stream are ignored. */
  public final class Inbound {
    private final long gen;

    private Inbound(long gen) {
      this.gen = gen;
    }

    /**
     * The arbiter admitted this stream: from now on nothing is stamped at or below {@code
     * stampFloorMicros} (0 for no floor), and the core takes purchases.
     */
    public void welcomed(String arbiterId, long maxClockSkewMicros, long stampFloorMicros, long maxTicketAgeMicros) {
      if (!heard(gen)) return;
      welcomed = true;
      welcomedNanos = loop.nanoTime();
      core.welcomed(partition, stampFloorMicros, maxTicketAgeMicros);
      // The backoff is not reset here but once the stream has stayed up (see disconnected): an
      // arbiter that welcomes and at once ends the stream would otherwise be asked every minimum delay.
      previous = Target.NONE; // a leader tried before this welcome was not "just tried" when this stream ends
      log.info("arbiter welcomed arbiter={} region={} max_clock_skew_us={} stamp_floor_us={} max_ticket_age_us={}",
          arbiterId, region, maxClockSkewMicros, stampFloorMicros, maxTicketAgeMicros);
    }

    public void clockReply(long originMicros, long receiveMicros, long transmitMicros) {
      if (!heard(gen)) return;
      ClockSample estimate = core.clockReplied(originMicros, receiveMicros, transmitMicros);
      stream.send(new Out.Report(estimate.offsetMicros(), estimate.roundTripMicros()));
      log.debug("clock probe offset_us={} round_trip_us={}", estimate.offsetMicros(), estimate.roundTripMicros());
    }

    /** The arbiter listed the region's connected nodes: the others are this node's siblings. */
    public void regionMembers(List<String> nodeIds) {
      if (!heard(gen)) return;
      siblingNodeIds = nodeIds.stream().filter(id -> !id.isEmpty() && !id.equals(nodeId)).distinct().toList();
    }

    public void message(D message) {
      if (heard(gen)) inbound.accept(message);
    }

    public void ended(End end) {
      disconnected(gen, end);
    }
  }

  private final String region;
  private final String instanceId;
  /** The partition of events this stream carries (0 of 1 when leadership is not split). */
  private final int partition;
  /** Which of the region's nodes this is: each node is its own stream at the arbiter. */
  private String nodeId = "";
  /** The region's other nodes as an arbiter last listed them; named in each hello. */
  private List<String> siblingNodeIds = List.of();
  private final LoopScheduler loop;
  private final RegionCore core;
  private final Transport<D> transport;
  private final Settings settings;
  private final Consumer<D> inbound;
  private final Consumer<List<Completion>> unranked;
  private final ReconnectBackoff backoff;
  private final StreamOutbox outbox = new StreamOutbox();
  private final List<LoopScheduler.Timer> timers = new ArrayList<>();

  private Stream stream;
  /** Tells callbacks of an old stream from the current one's. */
  private long generation;
  /**
   * The configured arbiter of the current (or next) attempt; while a named leader outside the
   * configured ones is followed, the one the rotation goes on from.
   */
  private int channelIndex;
  /**
   * The leader outside the configured arbiters that the current (or next) attempt goes to, empty
   * when it goes to {@link #channelIndex}'s; read by unary callers on other threads.
   */
  private volatile String namedLeader = "";
  /**
   * Failed connects (and standbys that knew no leader) since the last stream that stayed up;
   * below the channel count, the next arbiter is tried at once.
   */
  private int failuresThisRound;
  /**
   * Answers since the last stream that stayed up that point at a leader not to be asked at once: an arbiter
   * naming itself (it won the lease and is rebuilding), a standby naming the leader just tried (the
   * lease gap after it died: the standby's view changes within one lease ttl), or one that went silent.
   */
  private int leaderWaits;
  private int credentialRefusals;
  /** Where the attempt before the current one went: a leader "just tried". */
  private Target previous = Target.NONE;
  /** The current (or next) attempt goes to a leader a standby named. */
  private boolean followingNamed;
  private final RandomGenerator random;
  static final long MAX_CREDENTIAL_RETRY_MS = 2_000;
  /**
   * Longest wait (before jitter) between hellos while waiting for a leader to appear or finish
   * rebuilding; each hello resends every undecided ticket, but the cluster is up and a leader
   * comes within a lease ttl, so the wait stays short to keep failover fast.
   */
  static final long MAX_LEADER_WAIT_MS = 400;
  private boolean closed;
  private volatile boolean welcomed;
  /** When the current stream was welcomed, if {@link #welcomed}. */
  private long welcomedNanos;
  /** When the current stream last brought anything (or was opened). */
  private long lastHeardNanos;
  /** The arbiter dropped for silence, not to be followed to until {@link #suspectUntilNanos}. */
  private Target suspect = Target.NONE;
  private long suspectUntilNanos;

  /**
   * @param unranked gets the calls of tickets held unsent so long that a new stream does not resend
   *     them ({@link RegionCore#ticketsToResend})
   * @param random draws the reconnect backoff's jitter
   */
  public ArbiterStream(String region, String instanceId, LoopScheduler loop, RegionCore core, Transport<D> transport,
      Settings settings, Consumer<D> inbound, Consumer<List<Completion>> unranked, RandomGenerator random) {
    this(region, instanceId, loop, core, transport, settings, inbound, unranked, random, 0);
  }

  /** The stream of {@code partition} of the core's {@link RegionCore#partitions()}: its events' tickets only. */
  public ArbiterStream(String region, String instanceId, LoopScheduler loop, RegionCore core, Transport<D> transport,
      Settings settings, Consumer<D> inbound, Consumer<List<Completion>> unranked, RandomGenerator random,
      int partition) {
    if (!core.partitions().contains(partition)) {
      throw new IllegalArgumentException("partition " + partition + " of " + core.partitions().count());
    }
    this.partition = partition;
    this.region = region;
    this.instanceId = instanceId;
    this.loop = loop;
    this.core = core;
    this.transport = transport;
    this.settings = settings;
    this.inbound = inbound;
    this.unranked = unranked;
    this.backoff = new ReconnectBackoff(settings.reconnectMinMs(), settings.reconnectMaxMs(), random);
    this.random = random;
    core.awaitWelcome(partition); // from the start: nothing is stamped before an arbiter said what it will still rank
  }

  /** Opens the stream and starts the heartbeat, probe and silence timers (on the loop). */
  public void start() {
    start("");
  }

  /** As {@link #start()}, as node {@code nodeId} of the region (empty: the region's unnamed node). */
  public void start(String nodeId) {
    this.nodeId = java.util.Objects.requireNonNull(nodeId, "nodeId");
    connect();
    timers.add(loop.every(this::heartbeatTick, settings.heartbeatIntervalMs()));
    timers.add(loop.every(this::probe, settings.clockProbeIntervalMs()));
    timers.add(loop.every(this::checkSilence, Math.max(1, settings.silenceTimeoutMs() / 10)));
  }

  /** Queues a new ticket; the first one since the last flush schedules a flush behind the queued work. */
  public void send(Ticket ticket) {
    if (outbox.add(ticket)) loop.execute(() -> sendAll(outbox.flush()));
  }

  /**
   * The configured arbiter of the current (or next) attempt, for unary calls, unless {@link
   * #namedLeader()} names one outside the configured ones.
   */
  public int channelIndex() {
    return channelIndex;
  }

  /** The leader outside the configured arbiters the current (or next) attempt goes to; empty if none. Any thread. */
  public String namedLeader() {
    return namedLeader;
  }

  /** True between the arbiter's welcome and the stream's end. Safe from any thread. */
  public boolean connected() {
    return welcomed;
  }

  /** Ends the stream for good (shutdown); pending tickets are the arbiter's to decide or drop. */
  public void close() {
    closed = true;
    timers.forEach(LoopScheduler.Timer::cancel);
    // Cancel rather than half-close: the arbiter may never end its side, and stop() must not wait.
    if (stream != null) stream.cancel("region shutting down");
    stream = null;
    outbox.closed();
    welcomed = false;
    generation++;
  }

  private void connect() {
    if (closed) return;
    long gen = ++generation;
    lastHeardNanos = loop.nanoTime();
    String leader = namedLeader;
    Inbound callbacks = new Inbound(gen);
    stream = leader.isEmpty() ? transport.open(channelIndex, callbacks) : transport.openLeader(leader, callbacks);
    stream.send(new Out.Hello(region, instanceId, nodeId, siblingNodeIds, partition, core.partitions().count()));
    List<Ticket> undecided = core.ticketsToResend(partition, unranked);
    sendAll(outbox.opened(undecided));
    log.info("arbiter stream opening partition={} stream={} channel={} channels={} resent_tickets={}",
        partition, gen, leader.isEmpty() ? channelIndex : leader, transport.channels(), undecided.size());
  }

  private void heartbeatTick() {
    sendAll(outbox.tick(core::nextStamp));
  }

  private void sendAll(List<StreamOutbox.Up> messages) {
    for (StreamOutbox.Up up : messages) stream.send(new Out.Upstream(up));
  }

  private void probe() {
    if (stream != null) stream.send(new Out.Probe(core.nowMicros()));
  }

  /** True (and the stream counts as heard now) when {@code gen} is the current stream's. */
  private boolean heard(long gen) {
    if (gen != generation) return false;
    lastHeardNanos = loop.nanoTime();
    return true;
  }

  /** Drops a stream that has been silent past the timeout; probes one that is getting quiet. */
  private void checkSilence() {
    if (stream == null) return;
    long silentMs = (loop.nanoTime() - lastHeardNanos) / 1_000_000;
    if (silentMs < settings.silenceTimeoutMs()) {
      if (silentMs >= settings.silenceTimeoutMs() / 2) probe();
      return;
    }
    Stream silent = stream;
    suspect = target();
    suspectUntilNanos = loop.nanoTime() + settings.silenceTimeoutMs() * 1_000_000;
    disconnected(generation, End.failed("arbiter silent for " + silentMs + " ms (timeout " + settings.silenceTimeoutMs()
        + " ms)"));
    generation++; // the cancellation's own callback must not reconnect a second time
    silent.cancel("arbiter silent");
  }

  private void disconnected(long gen, End end) {
    if (gen != generation) return;
    // Only a stream that stayed up for the longest backoff starts the backoff again: reconnects
    // then come at most once per reconnectMaxMs even from an arbiter that ends every stream soon
    // after its welcome (a clock-skewed region's first ticket, say), as the SDK's PurchaseStream does.
    if (welcomed && loop.nanoTime() - welcomedNanos >= settings.reconnectMaxMs() * 1_000_000) {
      backoff.reset();
      failuresThisRound = 0;
      leaderWaits = 0;
    }
    stream = null;
    outbox.closed();
    welcomed = false;
    if (closed) return;
    Target asked = target();
    boolean askedANamedLeader = followingNamed;
    boolean namesLeader = end.standby() && !end.leader().isEmpty();
    if (namesLeader) {
      follow(end.leader());
    } else if (!end.sameArbiter()) {
      namedLeader = "";
      channelIndex = nextChannel();
    }
    followingNamed = namesLeader && !target().equals(asked);
    // Refused credentials are asked again soon (a renewal was likely taken), then less often.
    credentialRefusals = end.sameArbiter() ? credentialRefusals + 1 : 0;
    // A standby naming a leader we have not just asked points at a healthy leader: follow it at
    // once, or the failover stretches. Naming the arbiter it is (it won the lease and is
    // rebuilding), the one tried just before (the lease gap after that leader died), or one that
    // went silent (follow() stays here) would otherwise bounce between the two every minimum delay,
    // each hello resending every undecided ticket.
    boolean promptFollow = namesLeader && !target().equals(asked) && !target().equals(previous);
    previous = asked;
    long delayMs;
    if (end.sameArbiter()) {
      delayMs = Math.min(MAX_CREDENTIAL_RETRY_MS, settings.reconnectMinMs() << Math.min(credentialRefusals - 1, 10));
    } else if (promptFollow) {
      delayMs = settings.reconnectMinMs();
    } else if (namesLeader) {
      delayMs = leaderWaitMs(++leaderWaits);
    } else if (askedANamedLeader && !end.standby()) {
      // The leader a standby named did not answer: the lease gap after it died. The standbys name
      // the next leader once it holds the lease, so they are asked again within a leader wait, not
      // after a backoff grown by each try of the dead one (up to reconnectMaxMs late).
      delayMs = leaderWaitMs(++leaderWaits);
    } else {
      // A failure, or a standby that knows no leader (none holds the lease: Redis is down, say):
      // each other arbiter gets one prompt try, as the dead one is usually just the old leader,
      // then the backoff grows up to its maximum.
      failuresThisRound++;
      delayMs = failuresThisRound < transport.channels() ? settings.reconnectMinMs() : backoff.nextDelayMs();
    }
    log.warn("arbiter stream ended stream={} status=\"{}\" pending={} next={} reconnect_in_ms={}",
        gen, end.why(), core.pendingCount(), end.sameArbiter() ? "the same arbiter"
            : namesLeader ? "leader " + end.leader() : "the next arbiter",
        delayMs);
    loop.schedule(this::connect, delayMs);
  }

  /**
   * The wait before hello number {@code waits} to a leader that is not ready yet: doubling from
   * the minimum up to {@link #MAX_LEADER_WAIT_MS}, plus up to a quarter more so that regions
   * refused together do not all come back together (added, not taken off: it never asks sooner).
   */
  private long leaderWaitMs(int waits) {
    if (waits < 1) throw new IllegalStateException("leader waits count from 1, got " + waits);
    long stepMs = Math.min(MAX_LEADER_WAIT_MS, settings.reconnectMinMs() << Math.min(waits - 1, 10));
    return stepMs + random.nextLong(stepMs / 4 + 1);
  }

  /** Where the current (or next) attempt goes. */
  private Target target() {
    String leader = namedLeader;
    return leader.isEmpty() ? new Target(channelIndex, "") : new Target(-1, leader);
  }

  private boolean suspect(Target target) {
    return target.equals(suspect) && loop.nanoTime() - suspectUntilNanos < 0;
  }

  /**
   * The next configured arbiter in turn (a named leader outside them is never in the rotation),
   * passing over one that just went silent while there is another to try.
   */
  private int nextChannel() {
    int next = Math.floorMod(channelIndex + 1, transport.channels());
    boolean passOver = suspect(new Target(next, "")) && transport.channels() > 1;
    return passOver ? Math.floorMod(next + 1, transport.channels()) : next;
  }

  /** Goes to the leader a standby named, unless that leader just went silent on us: then to this standby again. */
  private void follow(String leader) {
    int index = transport.indexOf(leader);
    Target named = index >= 0 ? new Target(index, "") : new Target(-1, leader);
    if (suspect(named)) {
      log.info("standby names a silent leader leader={} silent_ms_ago={} action=ask_again", leader,
          settings.silenceTimeoutMs() - (suspectUntilNanos - loop.nanoTime()) / 1_000_000);
      return;
    }
    if (index >= 0) {
      channelIndex = index;
      namedLeader = "";
    } else {
      namedLeader = leader;
    }
  }
}
