package flashsale.arbiter.grpc;

import flashsale.arbiter.events.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions.Session;
import flashsale.sale.Ticket;
import flashsale.credentials.Principal;
import flashsale.v1.ClockReply;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import flashsale.wire.EventValidator;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One region node's {@code Sequence} stream: translates its messages into sequencer inputs posted to
 * the loop. gRPC delivers a call's messages one at a time, so this needs no lock; replies are
 * written by the loop and, for clock probes, by this stream's thread (see {@link SerializedObserver}).
 */
final class RegionStream implements StreamObserver<SequenceRequest> {
  private static final Logger log = LoggerFactory.getLogger(RegionStream.class);
  private static final AtomicLong STREAM_IDS = new AtomicLong();
  /** A loop that has finished no task for this long is taken as frozen (it ticks every 50 ms). */
  static final long LOOP_STALL_MS = 500;
  /** Most sibling nodes a hello may name: each becomes a source the frontier waits for. */
  static final int MAX_SIBLINGS = 64;
  /**
   * Region messages (of all streams) the loop may have queued before each stream waits for its own
   * to be taken up: below it a message is asked for again as soon as it is queued, so a busy loop
   * still reads each stream's clock probes at once; above it a loop that has fallen far behind
   * leaves the rest in the streams' HTTP/2 windows, and the regions (bounded by their
   * {@code --max-pending}) hold what they cannot send, instead of this node's heap holding them all.
   */
  static final int LOOP_HIGH_WATER_MESSAGES = 10_000;
  /** Most of one stream's messages queued beyond the high-water mark. */
  static final int MAX_MESSAGES_QUEUED = 256;
  private static final Runnable NOTHING = () -> {};

  private final SerializedObserver<SequenceResponse> out;
  private final SequencerLoop loop;
  private final RegionSessions sessions;
  private final EventRegistry events;
  /** Who opened the stream: its hello may name only the region its certificate names. */
  private final Principal caller;
  /** Asked again whenever the trusted CAs change; null in development. */
  private final CallerTrust trust;
  private long trustGenerationChecked;
  /** Until when the chain's path counts, as of the last check; a message after it checks again. */
  private java.time.Instant trustedUntil = java.time.Instant.MIN;
  private final MessageCredits credits;
  private Session session;
  private boolean ended;
  /**
   * One instance of each event id this stream names: a decoded ticket's event id is a fresh string,
   * and the decision cache keeps tickets for a while. Bounded, as ids come from the wire.
   */
  private final java.util.Map<String, String> eventIds = new java.util.HashMap<>();
  static final int MAX_SHARED_EVENT_IDS = 1_024;

  RegionStream(
      StreamObserver<SequenceResponse> out,
      SequencerLoop loop,
      RegionSessions sessions,
      EventRegistry events,
      Principal caller) {
    this(out, loop, sessions, events, caller, null);
  }

  RegionStream(
      StreamObserver<SequenceResponse> out,
      SequencerLoop loop,
      RegionSessions sessions,
      EventRegistry events,
      Principal caller,
      CallerTrust trust) {
    this.caller = caller;
    this.trust = trust;
    // Checked at the first message too: the CAs may have changed since the call was let in (a cached answer then).
    this.trustGenerationChecked = -1;
    this.credits = MessageCredits.of(out);
    this.out = new SerializedObserver<>(out);
    this.loop = loop;
    this.sessions = sessions;
    this.events = events;
  }

  /**
   * The certificate chain this stream was opened with, and who judges it: TLS checked it once, at
   * the handshake, and the stream may outlive the CA that signed it, or the certificate itself.
   */
  record CallerTrust(flashsale.security.Authenticator authenticator, List<java.security.cert.X509Certificate> chain) {}

  @Override
  public void onNext(SequenceRequest request) {
    if (ended) return;
    try {
      requireStillTrusted();
      switch (request.getKindCase()) {
        case HELLO -> {
          var mismatch = sessions.partitionMismatch(request.getHello().getPartition(), request.getHello().getPartitionCount());
          if (mismatch.isPresent()) throw protocol(mismatch.get());
          hello(request.getHello().getRegion(), request.getHello().getNodeId(), request.getHello().getInstanceId(),
              request.getHello().getSiblingNodeIdsList());
        }
        case TICKET_BATCH -> tickets(request.getTicketBatch().getTicketsList());
        case WATERMARK -> {
          Session s = requireSession();
          long watermarkMicros = request.getWatermark().getWatermarkMicros();
          loop.regionInput(q -> sessions.isCurrent(s) ? q.watermarkReceived(s.source(), watermarkMicros, loop.nowMicros())
              : List.of(), creditWhenTakenUp());
        }
        case CLOCK_PROBE -> clockProbe(request.getClockProbe().getOriginMicros());
        case CLOCK_REPORT -> {
          Session s = requireSession();
          long offsetMicros = request.getClockReport().getOffsetMicros();
          long roundTripMicros = request.getClockReport().getRoundTripMicros();
          loop.regionInput(q -> sessions.isCurrent(s) ? q.clockReported(s.source(), offsetMicros, roundTripMicros, loop.nowMicros())
              : List.of(), creditWhenTakenUp());
        }
        default -> throw protocol("empty or unknown message");
      }
    } catch (StatusRuntimeException e) {
      end(e);
    }
  }

  /**
   * The certificate proves the region, never the node: any node of a region may take any node id
   * (the worst it can do is replace a sibling's stream, which that sibling's reconnect undoes).
   */
  private void hello(String region, String node, String instanceId, List<String> siblings) {
    if (session != null) throw protocol("second hello on one stream");
    EventValidator.requireId("hello.region", region);
    if (!node.isEmpty()) EventValidator.requireId("hello.node_id", node);
    if (siblings.size() > MAX_SIBLINGS) throw protocol("hello names " + siblings.size() + " sibling nodes (at most " + MAX_SIBLINGS + ")");
    siblings.forEach(id -> EventValidator.requireId("hello.sibling_node_ids", id));
    if (!caller.isRegion(region)) {
      log.warn("region={} hello refused: the caller proved it is {} ({})", region, caller.name(), caller.via());
      throw Errors.error(ErrorReason.IDENTITY_MISMATCH, "this stream's certificate names " + caller.name()
          + ", not region " + region);
    }
    Session s = new Session(region, node, STREAM_IDS.incrementAndGet(), out, out::isReady);
    session = s;
    String source = s.source();
    log.info("region={} node={} instance={} stream={} connected", region, node, instanceId, s.id());
    // One loop task: whether this node still leads is decided there, in order with its deposition.
    credits.run(); // one message a stream: not worth holding back
    loop.execute(
        () -> {
          if (!sessions.open(s)) return;
          for (var spec : events.all()) sessions.send(source, RegionSessions.announcement(spec));
          loop.inputNow(q -> q.regionNodesExpected(region, siblings, loop.nowMicros()));
          // Welcomes the node (Effect.WelcomeRegionNode) at once, or once the store holds a new named node.
          loop.inputNow(q -> q.regionConnected(source, loop.nowMicros()));
          sessions.sendRegionMembers(region);
          announceSoldOut(source);
          announceAuctions(source);
        });
  }

  /**
   * A node that connects (or reconnects) learns each auction's stored standing, or its result once
   * closed: what it missed while away.
   */
  private void announceAuctions(String source) {
    loop.query(q -> events.all().stream().flatMap(e -> q.auctionStanding(e.eventId())
            .map(s -> java.util.Map.entry(e.eventId(), s)).stream()).toList())
        .thenAccept(auctions -> loop.execute(() -> auctions.forEach(a -> {
          if (a.getValue().closed()) sessions.announceAuctionCloseTo(source, a.getValue().asClose(a.getKey()));
          else sessions.announceAuctionStandingTo(source, a.getKey(), a.getValue());
        })));
  }

  private void announceSoldOut(String source) {
    loop.query(q -> events.all().stream().map(e -> q.eventStatus(e.eventId())).toList())
        .thenAccept(
            statuses ->
                loop.execute(
                    () ->
                        statuses.forEach(
                            st ->
                                st.ifPresent(
                                    s -> s.soldOutMicros().ifPresent(c -> sessions.broadcastSoldOutTo(source, s.eventId(), c))))));
  }

  private void tickets(List<flashsale.v1.Ticket> wire) {
    Session s = requireSession();
    List<Ticket> tickets = new ArrayList<>(wire.size());
    for (flashsale.v1.Ticket t : wire) {
      if (t.getEventId().isEmpty() || t.getRequestId().isEmpty() || t.getUserId().isEmpty() || t.getQuantity() < 1
          || t.getErrorBoundMicros() < 0 || t.getSlotsList().stream().distinct().count() != t.getSlotsCount()
          || t.getBidAmountMinor() < 0 || t.getBidAmountMinor() > flashsale.sale.AuctionRules.MAX_AMOUNT_MINOR
          || (t.getBidAmountMinor() > 0 && (t.getQuantity() != 1 || t.getSlotsCount() > 0))) {
        throw protocol("malformed ticket request_id='" + t.getRequestId() + "'");
      }
      tickets.add(new Ticket(shared(t.getEventId()), t.getRequestId(), t.getUserId(), t.getQuantity(), s.region(), t.getArrivalMicros(),
          t.getErrorBoundMicros(), t.getSlotsList(), t.getBidAmountMinor(), s.node()));
    }
    loop.regionInput(q -> sessions.isCurrent(s) ? q.ticketsReceived(s.source(), tickets, loop.nowMicros()) : List.of(),
        creditWhenTakenUp());
  }

  private String shared(String eventId) {
    String known = eventIds.get(eventId);
    if (known != null) return known;
    if (eventIds.size() >= MAX_SHARED_EVENT_IDS) eventIds.clear();
    eventIds.put(eventId, eventId);
    return eventId;
  }

  /**
   * Answered here, not behind the loop's backlog, while the loop still finishes tasks: a leader
   * working through a burst or a region's resend is busy, not silent, and a region that took it
   * for silent would drop the stream and resend everything again. A frozen loop is not answered
   * here, so the region still leaves it.
   */
  private void clockProbe(long originMicros) {
    Session s = requireSession();
    long receiveMicros = loop.nowMicros();
    if (loop.finishedTaskWithinMs(LOOP_STALL_MS)) {
      out.onNext(clockReply(originMicros, receiveMicros));
      credits.run();
    } else {
      loop.regionInput(q -> {
        sessions.send(s.source(), clockReply(originMicros, receiveMicros));
        return List.of();
      }, creditWhenTakenUp());
    }
  }

  /**
   * For a message about to be queued for the loop: below the loop's high-water mark the stream may
   * send another at once (nothing to run once it is taken up); above it, only once it is.
   */
  private Runnable creditWhenTakenUp() {
    if (loop.regionMessagesQueued() < LOOP_HIGH_WATER_MESSAGES) {
      credits.run();
      return NOTHING;
    }
    return credits;
  }

  private SequenceResponse clockReply(long originMicros, long receiveMicros) {
    return SequenceResponse.newBuilder()
        .setClockReply(
            ClockReply.newBuilder()
                .setOriginMicros(originMicros)
                .setReceiveMicros(receiveMicros)
                .setTransmitMicros(loop.nowMicros()))
        .build();
  }

  /**
   * After the CAs changed, or once the chain's trusted path expired: a chain that no longer counts
   * ends the stream (regions send every few ms).
   */
  private void requireStillTrusted() {
    if (trust == null) return;
    long generation = trust.authenticator().trustGeneration();
    if (generation == trustGenerationChecked && !trust.authenticator().expired(trustedUntil)) return;
    trustGenerationChecked = generation;
    var refusal = trust.authenticator().refusalOf(trust.chain());
    if (refusal.isPresent()) throw Errors.error(ErrorReason.CREDENTIALS_INVALID, refusal.get());
    trustedUntil = trust.authenticator().validUntil(trust.chain());
  }

  private Session requireSession() {
    if (session == null) throw protocol("first message must be hello");
    return session;
  }

  private static StatusRuntimeException protocol(String problem) {
    return Errors.error(ErrorReason.PROTOCOL_VIOLATION, problem);
  }

  private void end(StatusRuntimeException status) {
    ended = true;
    loop.regionCutOff(); // a bad message, a second hello, another partition's, a certificate gone

    log.warn("source={} stream ended by arbiter: {}", session == null ? "?" : session.source(), status.getStatus());
    Session s = session;
    if (s == null) {
      out.onError(status);
      return;
    }
    loop.execute(
        () -> {
          // only the region's current stream may disconnect it; a stale one just goes away
          if (!sessions.isCurrent(s)) {
            closeQuietly(status);
            return;
          }
          if (status.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED) sessions.cutOff(s.source(), status);
          else sessions.cutOff(s.source(), status.getStatus().getDescription());
          loop.inputNow(q -> q.regionDisconnected(s.source(), loop.nowMicros()));
        });
  }

  private void closeQuietly(StatusRuntimeException status) {
    try {
      out.onError(status);
    } catch (RuntimeException ignored) {
      // the peer has gone already
    }
  }

  @Override
  public void onError(Throwable t) {
    disconnected("error " + io.grpc.Status.fromThrowable(t).getCode());
  }

  @Override
  public void onCompleted() {
    disconnected("completed");
    loop.execute(
        () -> {
          try {
            out.onCompleted();
          } catch (RuntimeException ignored) {
            // cancelled already
          }
        });
  }

  private void disconnected(String how) {
    ended = true;
    Session s = session;
    if (s == null) return;
    log.info("source={} stream={} disconnected ({})", s.source(), s.id(), how);
    loop.execute(
        () -> {
          // In this same task: a new stream's hello, queued meanwhile, must find the region disconnected
          // before it reconnects it, never after (posting this as a further input let a quick
          // reconnect be undone, and the new stream's tickets were ignored).
          if (sessions.closed(s)) loop.inputNow(q -> q.regionDisconnected(s.source(), loop.nowMicros()));
        });
  }

  /**
   * Asks gRPC for the stream's next messages as each is let go ({@link #run}: at once below the
   * loop's high-water mark, else once the loop takes it up), {@link #MAX_MESSAGES_QUEUED} at most
   * outstanding. Asked for half a window at a time, not one transport task per message.
   */
  static final class MessageCredits implements Runnable {
    private final ServerCallStreamObserver<?> call;
    private final AtomicInteger takenUp = new AtomicInteger();

    private MessageCredits(ServerCallStreamObserver<?> call) {
      this.call = call;
    }

    /** Takes over the stream's requests; an observer that is no call's (tests) keeps gRPC's one at a time. */
    static MessageCredits of(StreamObserver<?> out) {
      if (!(out instanceof ServerCallStreamObserver<?> call)) return new MessageCredits(null);
      call.disableAutoRequest();
      call.request(MAX_MESSAGES_QUEUED);
      return new MessageCredits(call);
    }

    @Override
    public void run() {
      if (call == null || takenUp.incrementAndGet() < MAX_MESSAGES_QUEUED / 2) return;
      int more = takenUp.getAndSet(0);
      if (more > 0) call.request(more);
    }
  }
}
