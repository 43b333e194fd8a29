package flashsale.arbiter.grpc;

import flashsale.sale.TicketRefusal;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.StreamSource;
import flashsale.sale.Ticket;
import flashsale.v1.ClockVerdict;
import flashsale.v1.DecisionBatch;
import flashsale.v1.EventAnnouncement;
import flashsale.v1.RegionMembers;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SoldOutNotice;
import flashsale.v1.TicketRejection;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import flashsale.wire.WireMapping;
import com.google.protobuf.MessageLite;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open stream of each connected region node, and the translation of sequencer effects into
 * messages on them. Streams are keyed by source ({@link StreamSource#key}): a region may run
 * several nodes, each with its own stream; only a new stream of the same node replaces one. Used only from the sequencer loop thread, which keeps writes to each stream
 * serialized as gRPC requires.
 */
public final class RegionSessions {
  private static final Logger log = LoggerFactory.getLogger(RegionSessions.class);

  /**
   * A region node's current stream; {@code id} tells a replaced stream's late callbacks apart.
   *
   * @param node the node id from the hello; empty for the region's unnamed node
   * @param readiness whether the stream's transport takes more, and since when it has not
   */
  record Session(String region, String node, long id, StreamObserver<SequenceResponse> out, Readiness readiness) {
    /** A stream whose readiness is not watched (it is never ended for reading too little). */
    Session(String region, String node, long id, StreamObserver<SequenceResponse> out) {
      this(region, node, id, out, () -> true);
    }

    /** @param takesMore true while the transport takes messages without queueing them here (gRPC's {@code isReady}) */
    Session(String region, String node, long id, StreamObserver<SequenceResponse> out, BooleanSupplier takesMore) {
      this(region, node, id, out, new Readiness(takesMore));
    }

    /** The sequencer's key for this node's stream. */
    String source() {
      return StreamSource.key(region, node);
    }
  }

  /**
   * Whether a stream takes more, since when it has not, and how many bytes were sent to it since
   * (gRPC queues them here: past its 32 KiB mark a stream is not ready); loop-owned, it lives and
   * ends with its session.
   */
  static final class Readiness {
    private final BooleanSupplier takesMore;
    private boolean unread;
    private long unreadSinceNanos;
    private long bytesSentUnread;

    Readiness(BooleanSupplier takesMore) {
      this.takesMore = takesMore;
    }

    /**
     * Before sending {@code message} (sized only while not ready): why the stream is to be ended
     * instead (found not ready at every check for {@code limitNanos}, or this message would take
     * what was sent to it since past {@code limitBytes}), or null to send.
     */
    String overLimit(long limitNanos, long limitBytes, MessageLite message, LongSupplier nanoTime) {
      if (takesMore.getAsBoolean()) {
        unread = false;
        return null;
      }
      long now = nanoTime.getAsLong();
      if (!unread) {
        unread = true;
        unreadSinceNanos = now;
        bytesSentUnread = 0;
      }
      if (now - unreadSinceNanos >= limitNanos) {
        return "nothing more taken for " + TimeUnit.NANOSECONDS.toMillis(limitNanos) + " ms";
      }
      int bytes = GRPC_MESSAGE_HEADER_BYTES + message.getSerializedSize();
      if (bytesSentUnread + bytes > limitBytes) {
        return bytesSentUnread + " bytes sent since it last took more, the limit " + limitBytes;
      }
      bytesSentUnread += bytes;
      return null;
    }
  }

  /**
   * How long a node's stream may take nothing more (not ready at every send) before it is ended:
   * the node reads so much less than it is sent, or not at all, that its messages would pile up
   * here without bound. A node that reconnects resends what is undecided and hears the rest again.
   */
  public static final long UNREAD_LIMIT_MS = 30_000;

  /**
   * How many bytes may be sent to a node's stream that takes nothing more before it is ended: at
   * tens of thousands of decisions a second the time limit alone would let hundreds of MiB queue.
   */
  public static final long UNREAD_LIMIT_BYTES = 64L << 20;
  /** gRPC's length prefix before every message: a decision of 60 bytes queues 65. */
  static final int GRPC_MESSAGE_HEADER_BYTES = 5;

  /** By source key (region, or region/node). */
  private final Map<String, Session> byRegion = new LinkedHashMap<>();
  /** While set, this node does not lead: every stream is ended with what it supplies. */
  private Supplier<? extends Throwable> refusal;
  private BooleanSupplier leading = () -> true;
  private Supplier<? extends Throwable> notLeading = () -> new IllegalStateException("not leading");
  private flashsale.v1.ArbiterWelcome welcome = flashsale.v1.ArbiterWelcome.getDefaultInstance();
  private Consumer<String> lost = source -> {};
  private LongSupplier nanoTime = System::nanoTime;
  private long unreadLimitNanos = TimeUnit.MILLISECONDS.toNanos(UNREAD_LIMIT_MS);
  private long unreadLimitBytes = UNREAD_LIMIT_BYTES;

  /**
   * Ends a stream that took nothing more for {@code limitMs}, or sooner once {@code limitBytes} were
   * sent to it since it last did (see {@link #UNREAD_LIMIT_MS}, {@link #UNREAD_LIMIT_BYTES}), by {@code nanoTime}.
   */
  public void endUnreadStreamsAfter(long limitMs, long limitBytes, LongSupplier nanoTime) {
    if (limitMs < 1) throw new IllegalArgumentException("limitMs < 1: " + limitMs);
    if (limitBytes < 1) throw new IllegalArgumentException("limitBytes < 1: " + limitBytes);
    this.unreadLimitNanos = TimeUnit.MILLISECONDS.toNanos(limitMs);
    this.unreadLimitBytes = limitBytes;
    this.nanoTime = nanoTime;
  }

  /**
   * Told of a region node's stream lost to a failed send (the peer is gone): the sequencer must
   * hear that the node left, as when its stream ends, or it would count it connected until it
   * reconnects. Called on the loop thread while an effect is being carried out: post, don't input.
   */
  public void onLost(Consumer<String> lost) {
    this.lost = lost;
  }

  /** True while {@code source} has a stream here. */
  boolean hasStream(String source) {
    return byRegion.containsKey(source);
  }

  /**
   * Also refuse a new stream whenever {@code leading} is false at its hello (a leader paused past
   * its lease, before it has stepped down), ending it with {@code refusal}.
   */
  public void refuseUnless(BooleanSupplier leading, Supplier<? extends Throwable> refusal) {
    this.leading = leading;
    this.notLeading = refusal;
  }

  /**
   * Registers a new stream; an older stream of the same region is closed (it is stale). While
   * refusing (a standby), the stream is ended with the refusal instead and false returned: a
   * stream admitted by the gate just before the node was deposed must not be welcomed after.
   */
  boolean open(Session session) {
    if (refusal != null || !leading.getAsBoolean()) {
      log.info("source={} stream={} refused: not leading", session.source(), session.id());
      closeQuietly(session, (refusal != null ? refusal : notLeading).get());
      return false;
    }
    Session old = byRegion.put(session.source(), session);
    if (old != null) {
      log.info("source={} stream replaced old={} new={}", session.source(), old.id(), session.id());
      closeQuietly(old, Errors.error(ErrorReason.ARBITER_UNAVAILABLE,
          "replaced by a newer stream of the same region node " + session.source()));
    }
    return true;
  }

  /** True while streams are welcome here: this node leads, has recovered, and holds the lease by its own clock. */
  boolean admitting() {
    return refusal == null && leading.getAsBoolean();
  }

  /**
   * Why a hello for {@code partition} of {@code count} (0 read as 1) does not belong here, if it
   * does not: the welcome names the partition these streams carry.
   */
  java.util.Optional<String> partitionMismatch(int partition, int count) {
    int ours = Math.max(1, welcome.getPartitionCount());
    if (Math.max(1, count) != ours) {
      return java.util.Optional.of("this region node splits events into " + Math.max(1, count)
          + " partitions, the arbiters into " + ours + ": set the same --partitions on both");
    }
    if (partition != welcome.getPartition()) {
      return java.util.Optional.of("hello for partition " + partition + " reached partition " + welcome.getPartition());
    }
    return java.util.Optional.empty();
  }

  /** What every welcome says besides the node's stamp floor (this arbiter's id, its clock bound). */
  void welcomeWith(flashsale.v1.ArbiterWelcome welcome) {
    this.welcome = welcome;
  }

  /**
   * Welcomes the node's current stream, with the floor it stamps above. A welcome that waited for
   * the node's record is not sent once this arbiter no longer leads: the stream is ended instead,
   * since a leader elected meanwhile may have read the store before the record.
   */
  void welcome(String source, long stampFloorMicros) {
    Session s = byRegion.get(source);
    if (s == null) return;
    if (!admitting()) {
      // Its own end callback finds it gone and tells nobody: the sequencer hears it here.
      if (byRegion.remove(source, s)) {
        closeQuietly(s, (refusal != null ? refusal : notLeading).get());
        lost.accept(source);
      }
      return;
    }
    send(source, SequenceResponse.newBuilder()
        .setWelcome(welcome.toBuilder().setStampFloorMicros(Math.max(0, stampFloorMicros))).build());
  }

  /** This node leads (and has recovered): streams are welcome from now on. */
  public void admit() {
    refusal = null;
  }

  /**
   * This node does not lead: ends every stream it holds, and every stream that says hello from
   * now on, with {@code refusal} (NOT_LEADER naming the leader as known when each one ends).
   */
  public void refuseAll(Supplier<? extends Throwable> refusal) {
    this.refusal = refusal;
    int open = byRegion.size();
    closeAll(refusal.get());
    if (open > 0) log.info("region streams closed count={} reason=not_leading", open);
  }

  /** Forgets the stream if it is still the region's current one; true if it was. */
  boolean closed(Session session) {
    return byRegion.remove(session.source(), session);
  }

  boolean isCurrent(Session session) {
    return byRegion.get(session.source()) == session;
  }

  void send(String source, SequenceResponse message) {
    Session s = byRegion.get(source);
    if (s == null) return; // the region resends undecided tickets when it reconnects
    String over = s.readiness().overLimit(unreadLimitNanos, unreadLimitBytes, message, nanoTime);
    if (over != null) {
      log.warn("source={} stream={} ended: it reads too little ({}) while messages queue for it", source, s.id(), over);
      drop(s, "stream of " + source + " read too little: " + over);
      return;
    }
    try {
      s.out().onNext(message);
    } catch (RuntimeException e) {
      log.warn("source={} send failed: {}", source, e.toString());
      drop(s, "stream of " + source + " failed a send");
    }
  }

  /** Ends {@code s} if it is still current; its own end callback then finds it gone and tells nobody, so this does. */
  private void drop(Session s, String why) {
    if (byRegion.remove(s.source(), s)) {
      closeQuietly(s, Errors.error(ErrorReason.ARBITER_UNAVAILABLE, why));
      lost.accept(s.source());
    }
  }

  /** Tells every named node of {@code region} which of its nodes are connected (they name them in their next hello). */
  void sendRegionMembers(String region) {
    List<Session> nodes = byRegion.values().stream().filter(s -> s.region().equals(region) && !s.node().isEmpty()).toList();
    RegionMembers members = RegionMembers.newBuilder().addAllNodeIds(nodes.stream().map(Session::node).toList()).build();
    for (Session s : nodes) send(s.source(), SequenceResponse.newBuilder().setRegionMembers(members).build());
  }

  void sendDecisions(String source, List<Decision> decisions) {
    DecisionBatch.Builder batch = DecisionBatch.newBuilder();
    for (Decision d : decisions) batch.addDecisions(WireMapping.toProto(d));
    send(source, SequenceResponse.newBuilder().setDecisionBatch(batch).build());
  }

  void broadcastSoldOut(String eventId, long soldOutMicros) {
    log.info("event={} sold out at stamp={}", eventId, soldOutMicros);
    for (String source : List.copyOf(byRegion.keySet())) broadcastSoldOutTo(source, eventId, soldOutMicros);
  }

  void broadcastSoldOutTo(String source, String eventId, long soldOutMicros) {
    send(
        source,
        SequenceResponse.newBuilder()
            .setSoldOut(SoldOutNotice.newBuilder().setEventId(eventId).setSoldOutMicros(soldOutMicros))
            .build());
  }

  /** An auction's stored result, to every connected region node. */
  void announceAuctionClose(flashsale.sale.AuctionClose close) {
    log.info("auction closed event={} closeMicros={} winners={}", close.eventId(), close.closeMicros(), close.winners().size());
    for (String source : List.copyOf(byRegion.keySet())) announceAuctionCloseTo(source, close);
  }

  void announceAuctionCloseTo(String source, flashsale.sale.AuctionClose close) {
    var result = new flashsale.sale.AuctionStanding(close.closeMicros(), close.winners(), true);
    send(source, SequenceResponse.newBuilder().setAuctionClosed(flashsale.v1.AuctionClosed.newBuilder()
        .setEventId(close.eventId()).setResult(flashsale.wire.AuctionWire.toProto(result))).build());
  }

  /** An open auction's stored standing changed, to every connected region node (for its watchers). */
  void announceAuctionStanding(String eventId, flashsale.sale.AuctionStanding standing) {
    for (String source : List.copyOf(byRegion.keySet())) announceAuctionStandingTo(source, eventId, standing);
  }

  void announceAuctionStandingTo(String source, String eventId, flashsale.sale.AuctionStanding standing) {
    send(source, SequenceResponse.newBuilder().setAuctionUpdate(flashsale.v1.AuctionUpdate.newBuilder()
        .setEventId(eventId).setResult(flashsale.wire.AuctionWire.toProto(standing))).build());
  }

  /**
   * Order changes the store now holds, to every connected region node: a buyer may watch a
   * purchase at any region, and a region the event is not sold in may still be asked about it.
   */
  void announceOrders(flashsale.arbiter.core.orders.OrderEffect.OrdersDurable durable) {
    if (durable.transitions().isEmpty() && durable.notWaitlisted().isEmpty() || byRegion.isEmpty()) return;
    List<SequenceResponse> messages = orderUpdates(durable);
    for (String source : List.copyOf(byRegion.keySet())) messages.forEach(message -> send(source, message));
  }

  /**
   * Most orders in one OrderUpdate. The write that closes a waitlist holds a change per waiter
   * (hundreds of thousands in a big drop), an order is up to about 230 bytes on the wire, and a
   * region refuses a message over 16 MiB: its whole stream would fail, every event's with it.
   */
  static final int MAX_ORDERS_PER_UPDATE = 4_096;

  /**
   * A stored write's changes, then the losers it passed over (NOT_WAITLISTED), as OrderUpdates of
   * at most {@link #MAX_ORDERS_PER_UPDATE} orders, in write order.
   */
  static List<SequenceResponse> orderUpdates(flashsale.arbiter.core.orders.OrderEffect.OrdersDurable durable) {
    String eventId = durable.eventId();
    List<flashsale.v1.Order> orders = new java.util.ArrayList<>(durable.transitions().size() + durable.notWaitlisted().size());
    durable.transitions().forEach(t -> orders.add(flashsale.wire.OrderWire.toProto(eventId, t)));
    durable.notWaitlisted().forEach(o -> orders.add(flashsale.wire.OrderWire.toProto(eventId, o)));
    List<SequenceResponse> messages = new java.util.ArrayList<>(orders.size() / MAX_ORDERS_PER_UPDATE + 1);
    for (int from = 0; from < orders.size(); from += MAX_ORDERS_PER_UPDATE) {
      messages.add(SequenceResponse.newBuilder().setOrderUpdate(flashsale.v1.OrderUpdate.newBuilder().setEventId(eventId)
          .setWaitlistFull(durable.waitlistFull())
          .addAllOrders(orders.subList(from, Math.min(orders.size(), from + MAX_ORDERS_PER_UPDATE)))).build());
    }
    return messages;
  }

  public void announce(EventSpec spec) {
    SequenceResponse message = announcement(spec);
    for (String source : List.copyOf(byRegion.keySet())) send(source, message);
  }

  static SequenceResponse announcement(EventSpec spec) {
    return SequenceResponse.newBuilder()
        .setEventAnnouncement(EventAnnouncement.newBuilder().setEvent(WireMapping.toProto(spec)))
        .build();
  }

  void reject(String source, Ticket ticket, TicketRefusal reason, String message) {
    TicketRejection rejection =
        TicketRejection.newBuilder()
            .setEventId(ticket.eventId())
            .setRequestId(ticket.requestId())
            .setReason(WireMapping.toProto(reason))
            .setMessage(message)
            .build();
    send(source, SequenceResponse.newBuilder().setTicketRejection(rejection).build());
  }

  void sendClockVerdict(String source, boolean flagged, String message) {
    if (flagged) log.warn("source={} clock flagged: {}", source, message);
    send(
        source,
        SequenceResponse.newBuilder()
            .setClockVerdict(ClockVerdict.newBuilder().setFlagged(flagged).setMessage(message))
            .build());
  }

  /** Protocol violation: the region's stream ends with FAILED_PRECONDITION. */
  void cutOff(String source, String reason) {
    cutOff(source, Errors.error(ErrorReason.PROTOCOL_VIOLATION, "region " + source + " cut off: " + reason));
  }

  /** The region's stream ends with {@code status}. */
  void cutOff(String source, io.grpc.StatusRuntimeException status) {
    Session s = byRegion.remove(source);
    log.warn("source={} cut off: {}", source, status.getStatus());
    if (s != null) closeQuietly(s, status);
  }

  /** Ends every stream (shutdown); regions reconnect elsewhere and resend. */
  public void closeAll(Throwable status) {
    for (Session s : List.copyOf(byRegion.values())) closeQuietly(s, status);
    byRegion.clear();
  }

  private static void closeQuietly(Session s, Throwable status) {
    try {
      s.out().onError(status);
    } catch (RuntimeException ignored) {
      // already closed by the peer
    }
  }
}
