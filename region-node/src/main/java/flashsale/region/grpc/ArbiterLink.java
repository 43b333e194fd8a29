package flashsale.region.grpc;

import flashsale.region.core.ClockOffsetEstimator.ClockSample;
import flashsale.region.core.ReconnectBackoff;
import flashsale.region.core.RegionCore;
import flashsale.region.core.StreamOutbox;
import flashsale.sale.Ticket;
import flashsale.v1.ClockProbe;
import flashsale.v1.ClockReply;
import flashsale.v1.ClockReport;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.TicketBatch;
import flashsale.v1.Watermark;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import com.google.rpc.ErrorInfo;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region's end of the {@code Sequence} stream: hello, resend of undecided tickets, batched
 * live tickets, watermark heartbeats and clock probes out; arbiter messages in. When the stream
 * breaks it reconnects and the purchases stay pending: to the leader a standby named (NOT_LEADER
 * with metadata {@code leader}), else to the next arbiter in turn; after a standby's answer at the
 * minimum delay, after a failure with exponential backoff.
 *
 * <p>A stream that has been silent longer than {@code silenceTimeoutMs} is dropped: the arbiter
 * answers every clock probe, and the link probes whenever it has heard nothing for half the
 * timeout, so silence means a frozen or cut-off arbiter (TCP keepalive alone takes far longer to
 * notice). For one timeout after that the link tries only the other arbiters, and does not follow
 * a standby that names the silent one as leader: its lease may simply not have run out yet.
 * What goes out in which order is {@link StreamOutbox}'s call. Loop-owned: every method but
 * {@link #start()} and {@link #connected()} runs on the region loop.
 */
public final class ArbiterLink {
  private static final Logger log = LoggerFactory.getLogger(ArbiterLink.class);

  /** Timings of the link, all in milliseconds. */
  public record Settings(long heartbeatIntervalMs, long clockProbeIntervalMs, long reconnectMinMs, long reconnectMaxMs,
      long silenceTimeoutMs) {
    public Settings {
      if (silenceTimeoutMs < 2) throw new IllegalArgumentException("silence timeout ms must be at least 2, got " + silenceTimeoutMs);
    }
  }

  private final String region;
  private final String instanceId;
  private final RegionLoop loop;
  private final RegionCore core;
  private final ArbiterChannels channels;
  private final Settings settings;
  private final Consumer<SequenceResponse> inbound;
  private final ReconnectBackoff backoff;

  private final StreamOutbox outbox = new StreamOutbox();
  private StreamObserver<SequenceRequest> stream;
  /** Tells callbacks of an old stream from the current one's. */
  private long generation;
  private int channelIndex;
  /** Failed connects since the last welcome; below the channel count, the next one is tried at once. */
  private int failuresThisRound;
  private boolean closed;
  private final List<ScheduledFuture<?>> timers = new ArrayList<>();
  private volatile boolean welcomed;
  private final LongSupplier nanoTime = System::nanoTime;
  /** When the current stream last brought anything (or was opened). */
  private long lastHeardNanos;
  /** The channel dropped for silence, not to be followed to until {@link #suspectUntilNanos}; -1 if none. */
  private int suspectIndex = -1;
  private long suspectUntilNanos;

  public ArbiterLink(String region, String instanceId, RegionLoop loop, RegionCore core, ArbiterChannels channels,
      Settings settings, Consumer<SequenceResponse> inbound) {
    this.region = region;
    this.instanceId = instanceId;
    this.loop = loop;
    this.core = core;
    this.channels = channels;
    this.settings = settings;
    this.inbound = inbound;
    this.backoff = new ReconnectBackoff(settings.reconnectMinMs(), settings.reconnectMaxMs(), new SplittableRandom());
  }

  /** Opens the stream and starts the heartbeat and probe timers (posts to the loop; any thread). */
  public void start() {
    loop.execute(() -> {
      connect();
      timers.add(loop.every(this::heartbeatTick, settings.heartbeatIntervalMs()));
      timers.add(loop.every(this::probe, settings.clockProbeIntervalMs()));
      timers.add(loop.every(this::checkSilence, Math.max(1, settings.silenceTimeoutMs() / 10)));
    });
  }

  /** Queues a new ticket; the first one since the last flush schedules a flush behind the queued work. */
  public void send(Ticket ticket) {
    if (outbox.add(ticket)) loop.execute(() -> sendAll(outbox.flush()));
  }

  /** The channel of the current (or next) attempt, for unary calls. */
  public Channel currentChannel() {
    return channels.get(channelIndex);
  }

  /** True between the arbiter's welcome and the stream's end. Safe from any thread. */
  public boolean connected() {
    return welcomed;
  }

  /** Ends the stream for good (shutdown); pending tickets are the arbiter's to decide or drop. */
  public void close() {
    closed = true;
    timers.forEach(t -> t.cancel(false));
    // Cancel rather than half-close: the arbiter may never end its side, and stop() must not wait.
    if (stream instanceof ClientCallStreamObserver<SequenceRequest> call) call.cancel("region shutting down", null);
    stream = null;
    outbox.closed();
    welcomed = false;
    generation++;
  }

  private void connect() {
    if (closed) return;
    long gen = ++generation;
    lastHeardNanos = nanoTime.getAsLong();
    stream = SequencerServiceGrpc.newStub(channels.reconnecting(channelIndex))
        .withExecutor(loop)
        .withMaxInboundMessageSize(ArbiterChannels.MAX_INBOUND_BYTES)
        .sequence(new Inbound(gen));
    stream.onNext(SequenceRequest.newBuilder()
        .setHello(RegionHello.newBuilder().setRegion(region).setInstanceId(instanceId))
        .build());
    List<Ticket> undecided = core.undecidedTickets();
    sendAll(outbox.opened(undecided));
    log.info("arbiter stream opening stream={} channel={} channels={} resent_tickets={}",
        gen, Math.floorMod(channelIndex, channels.size()), channels.size(), undecided.size());
  }

  private void heartbeatTick() {
    sendAll(outbox.tick(core::nextStamp));
  }

  private void sendAll(List<StreamOutbox.Up> messages) {
    for (StreamOutbox.Up up : messages) {
      SequenceRequest.Builder request = SequenceRequest.newBuilder();
      switch (up) {
        case StreamOutbox.Up.Tickets t -> {
          TicketBatch.Builder batch = TicketBatch.newBuilder();
          t.tickets().forEach(ticket -> batch.addTickets(RegionWire.toProto(ticket)));
          request.setTicketBatch(batch);
        }
        case StreamOutbox.Up.Watermark w -> request.setWatermark(
            Watermark.newBuilder().setWatermarkMicros(w.watermarkMicros()));
      }
      stream.onNext(request.build());
    }
  }

  private void probe() {
    if (stream == null) return;
    stream.onNext(SequenceRequest.newBuilder()
        .setClockProbe(ClockProbe.newBuilder().setOriginMicros(core.nowMicros()))
        .build());
  }

  /** Drops a stream that has been silent past the timeout; probes one that is getting quiet. */
  private void checkSilence() {
    if (stream == null) return;
    long silentMs = (nanoTime.getAsLong() - lastHeardNanos) / 1_000_000;
    if (silentMs < settings.silenceTimeoutMs()) {
      if (silentMs >= settings.silenceTimeoutMs() / 2) probe();
      return;
    }
    StreamObserver<SequenceRequest> silent = stream;
    suspectIndex = Math.floorMod(channelIndex, channels.size());
    suspectUntilNanos = nanoTime.getAsLong() + settings.silenceTimeoutMs() * 1_000_000;
    disconnected(generation, "arbiter silent for " + silentMs + " ms (timeout " + settings.silenceTimeoutMs() + " ms)",
        null);
    generation++; // the cancellation's own callback must not reconnect a second time
    if (silent instanceof ClientCallStreamObserver<SequenceRequest> call) call.cancel("arbiter silent", null);
  }

  private void onMessage(SequenceResponse message) {
    switch (message.getKindCase()) {
      case WELCOME -> {
        welcomed = true;
        backoff.reset();
        failuresThisRound = 0;
        log.info("arbiter welcomed arbiter={} region={} max_clock_skew_us={}",
            message.getWelcome().getArbiterId(), region, message.getWelcome().getMaxClockSkewMicros());
      }
      case CLOCK_REPLY -> report(message.getClockReply());
      default -> inbound.accept(message);
    }
  }

  private void report(ClockReply reply) {
    ClockSample estimate =
        core.clockReplied(reply.getOriginMicros(), reply.getReceiveMicros(), reply.getTransmitMicros());
    stream.onNext(SequenceRequest.newBuilder()
        .setClockReport(ClockReport.newBuilder()
            .setOffsetMicros(estimate.offsetMicros())
            .setRoundTripMicros(estimate.roundTripMicros()))
        .build());
    log.debug("clock probe offset_us={} round_trip_us={}", estimate.offsetMicros(), estimate.roundTripMicros());
  }

  private void disconnected(long gen, String why, Throwable error) {
    if (gen != generation) return;
    stream = null;
    outbox.closed();
    welcomed = false;
    if (closed) return;
    Optional<ErrorInfo> standby = Optional.ofNullable(error).flatMap(Errors::infoOf)
        .filter(info -> info.getReason().equals(ErrorReason.NOT_LEADER.name()));
    String leader = standby.map(info -> info.getMetadataOrDefault("leader", "")).orElse("");
    // A standby answered at once and is healthy: asking again soon costs nothing, while backing
    // off would only stretch the failover. Likewise each other arbiter gets one prompt try
    // before the backoff grows: the dead one is usually just the old leader.
    failuresThisRound = standby.isPresent() ? 0 : failuresThisRound + 1;
    long delayMs = standby.isPresent() || failuresThisRound < channels.size()
        ? settings.reconnectMinMs() : backoff.nextDelayMs();
    channelIndex = leader.isEmpty() ? nextChannel() : follow(leader);
    log.warn("arbiter stream ended stream={} status=\"{}\" pending={} next={} reconnect_in_ms={}",
        gen, why, core.pendingCount(), leader.isEmpty() ? "the next arbiter" : "leader " + leader, delayMs);
    loop.schedule(this::connect, delayMs);
  }

  /** The next arbiter in turn, passing over one that just went silent while there is another to try. */
  private int nextChannel() {
    int next = Math.floorMod(channelIndex + 1, channels.size());
    boolean suspect = next == suspectIndex && nanoTime.getAsLong() - suspectUntilNanos < 0;
    return suspect && channels.size() > 1 ? Math.floorMod(next + 1, channels.size()) : next;
  }

  /** The channel of a leader a standby named, unless that leader just went silent on us: then this standby again. */
  private int follow(String leader) {
    int named = channels.indexOf(leader);
    boolean suspect = named == suspectIndex && nanoTime.getAsLong() - suspectUntilNanos < 0;
    if (!suspect) return named;
    log.info("standby names a silent leader leader={} silent_ms_ago={} action=ask_again", leader,
        settings.silenceTimeoutMs() - (suspectUntilNanos - nanoTime.getAsLong()) / 1_000_000);
    return channelIndex;
  }

  /** Callbacks of one stream; they run on the loop (the stub's executor). */
  private final class Inbound implements StreamObserver<SequenceResponse> {
    private final long gen;

    Inbound(long gen) {
      this.gen = gen;
    }

    @Override
    public void onNext(SequenceResponse message) {
      if (gen != generation) return;
      lastHeardNanos = nanoTime.getAsLong();
      onMessage(message);
    }

    @Override
    public void onError(Throwable t) {
      disconnected(gen, t.toString(), t);
    }

    @Override
    public void onCompleted() {
      disconnected(gen, "completed by the arbiter", null);
    }
  }
}
