package flashsale.arbiter.core;

import flashsale.sale.TicketRefusal;
import flashsale.sale.Decision;
import flashsale.sale.EventHead;
import flashsale.sale.StreamSource;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Orders every region's tickets globally and decides them against stock. A single-threaded
 * state machine: each input carries the arbiter's clock reading {@code nowMicros} and returns
 * the effects to carry out.
 *
 * <p>Per stream source it keeps the watermark {@code W_r} (highest watermark or ticket stamp heard,
 * across streams); per event the frontier is the least {@code W_r} of its sources whose clock is
 * not flagged, and queued tickets at or below it are released by a k-way merge in (stamp, keyed hash,
 * request id) order. A released ticket is decided at once against the in-memory stock, but told
 * only after {@link #batchPersisted} confirms its batch; one batch per event is in flight.
 *
 * <p>A region silent (no ticket, no watermark) for longer than the region timeout, connected or
 * not, is left out of frontiers at the next {@link #tick} so the other regions keep selling; its
 * tickets that arrive behind what was released meanwhile are decided as late. It rejoins the
 * moment it speaks again.
 *
 * <p>Idle events cost nothing per input: a watermark or a timeout only looks at the events with
 * tickets waiting, since an event with none has nothing its frontier could release. An event past
 * its end (plus a grace) with nothing pending leaves the sequencer ({@link Effect.EventFinished}).
 *
 * <p>A source is a region node, named by {@link StreamSource#key}: the region's name for its
 * unnamed node, {@code region/node} for a named one. A region may run several nodes; each is its
 * own ordered stream, watermark, clock verdict and timeout, and each method below that takes a
 * {@code region} takes such a key. Near-ties between two nodes of one region are drawn by the
 * lottery like near-ties between regions ({@link flashsale.sale.NearTieLottery#nearTie}).
 *
 * <p>Inputs from a region that is not connected (never connected, disconnected, or cut off for a
 * protocol violation) are ignored: they are the tail of a stream that is being closed.
 */
public final class Sequencer {

  private final SequencerConfig config;
  private final AgeFloor ageFloor;
  private final AuctionCloseGate closeGate;
  private final RegionNodes regions = new RegionNodes();
  /** While a new leader recovers and admits no stream: nobody times out (see holdStreamsBack). */
  private boolean streamsHeldBack;
  private final Map<String, EventBook> events = new HashMap<>();
  /** Events with tickets received and not yet persisted: the only ones a frontier move can release. */
  private final Set<EventBook> waiting = new LinkedHashSet<>();
  /** Events by end time, to find the finished ones without scanning all. */
  private final PriorityQueue<EventBook> byEnd = new PriorityQueue<>(Comparator.comparingLong(b -> b.spec().latestCloseMicros()));
  /** Ended past the grace but with something still pending: checked every tick. */
  private final List<EventBook> overdue = new ArrayList<>();

  public Sequencer(SequencerConfig config) {
    this.config = config;
    this.ageFloor = new AgeFloor(config);
    this.closeGate = new AuctionCloseGate(ageFloor);
  }

  /**
   * Starts sequencing an event from its durable head (fresh, or loaded from the store).
   *
   * @throws IllegalArgumentException when the event is already sequenced
   */
  public List<Effect> eventAdded(EventHead head, long nowMicros) {
    return eventAddedWithWaitlist(head, 0, nowMicros);
  }

  /**
   * As {@link #eventAdded(EventHead, long)}, for an event whose first {@code waitlistBound} losers
   * for lack of stock join a waitlist in rank order: those are ranked in global order like wins,
   * not answered as they come once the stock is gone.
   */
  public List<Effect> eventAddedWithWaitlist(EventHead head, long waitlistBound, long nowMicros) {
    String eventId = head.spec().eventId();
    if (events.containsKey(eventId)) throw new IllegalArgumentException("event " + eventId + " is already sequenced");
    RegionCursor[] cursors =
        head.spec().regions().stream().flatMap(r -> regions.nodesOf(r, nowMicros, this::joinEvents).stream()).toArray(RegionCursor[]::new);
    EventBook book = new EventBook(head, cursors, config.maxBatchSize(), config.cachedDecisions(),
        config.maxErrorBoundMicros(), ageFloor, closeGate, waitlistBound);
    events.put(eventId, book);
    byEnd.add(book);
    if (book.awaitsClose()) waiting.add(book); // watermarks alone may close an auction
    return List.of();
  }

  /**
   * True when the event whose stored head is {@code head} is past its end and the grace, and has
   * nothing left to decide: such an event is not sequenced again. An auction whose result the store
   * does not hold is not finished however late it is: only the close gate of a sequencer it is added
   * to closes it, storing and announcing its winners (let go, it would stay unclosed forever).
   */
  public boolean finished(EventHead head, long nowMicros) {
    boolean awaitsClose = head.auction().map(a -> !a.closed()).orElse(false);
    return !awaitsClose && nowMicros - config.finishGraceMicros() >= head.spec().latestCloseMicros();
  }

  /** How many events this sequencer holds (live ones only). */
  public int eventCount() {
    return events.size();
  }

  /**
   * A region node opened a new stream. Stamps on the new stream may restart below the last one's.
   * A node first known now joins the frontier of every event its region sells, and one back after
   * a timeout is waited for again: either way the frontier holds until it speaks. Its welcome
   * ({@link Effect.WelcomeRegionNode}) names the floor it stamps above, so none of its tickets is
   * late; a named node the store does not hold is recorded first ({@link Effect.RecordRegionNode}),
   * so no later leader can pass its stamps without waiting for it.
   */
  public List<Effect> regionConnected(String region, long nowMicros) {
    return regions.connected(region, nowMicros, this::joinEvents, this::releasedIn);
  }

  /** The store holds the named node {@code source} ({@link Effect.RecordRegionNode}): its stream may be welcomed. */
  public List<Effect> regionNodeRecorded(String source, long nowMicros) {
    return regions.recorded(source, this::releasedIn);
  }

  /**
   * The named nodes the store holds, read by a new leader before it admits streams: each is waited
   * for from now on, like a region that has not spoken, until it speaks or times out. Each one's
   * first welcome in this term still waits for this term's own record.
   */
  public List<Effect> regionNodesRecorded(List<String> sources, long nowMicros) {
    regions.recordedBefore(sources, nowMicros, this::joinEvents);
    return List.of();
  }

  /** The stamp of the latest ticket released in any event {@code region} sells; {@link Long#MIN_VALUE} for none. */
  private long releasedIn(String region) {
    long micros = Long.MIN_VALUE;
    for (EventBook book : events.values()) {
      if (book.sellsIn(region)) micros = Math.max(micros, book.releasedMicros());
    }
    return micros;
  }

  /**
   * A node of {@code region} named these siblings (as an earlier leader listed them): each one not
   * known yet is waited for from now on, like a region that has not spoken, until it speaks or
   * times out; so a sibling that reconnects later still finds its resent tickets ahead of the frontier.
   */
  public List<Effect> regionNodesExpected(String region, List<String> nodeIds, long nowMicros) {
    regions.expected(region, nodeIds, nowMicros, this::joinEvents);
    return List.of();
  }

  /**
   * A new leader's term, before it admits any stream (it recovers): no region can speak to it yet,
   * so none is timed out for its silence, which would let the others' tickets past ones it resends
   * once admitted, and forget the records later leaders wait for. Until {@link #streamsAdmitted}.
   */
  public void holdStreamsBack() {
    streamsHeldBack = true;
  }

  /** Streams reach this term from now on: every region's silence is counted from here. */
  public List<Effect> streamsAdmitted(long nowMicros) {
    streamsHeldBack = false;
    for (RegionCursor cursor : regions.all()) cursor.silentSince(nowMicros);
    return List.of();
  }

  /**
   * Time passes: every region silent past the region timeout is left out of its events' frontiers,
   * which may release what the others sent meanwhile, and auctions past their close may close.
   */
  public List<Effect> tick(long nowMicros) {
    List<Effect> effects = new ArrayList<>();
    // While streams are held back nobody could speak (see holdStreamsBack): nobody times out.
    for (RegionCursor cursor : streamsHeldBack ? List.<RegionCursor>of() : regions.all()) {
      if (!cursor.timesOut(nowMicros, config.regionTimeoutMicros())) continue;
      effects.add(new Effect.RegionExclusion(cursor.source(), true, "region " + cursor.source() + " silent for "
          + cursor.silentMicros(nowMicros) + "us (timeout " + config.regionTimeoutMicros() + "us): left out of the frontier"));
      if (cursor.forgetRecord()) effects.add(new Effect.ForgetRegionNode(cursor.source())); // later leaders need not wait
      release(cursor, nowMicros, effects);
    }
    // An auction's close gate also opens with time alone (the age bound passing its close): one
    // whose regions are all silent or gone must close without waiting for one of them to speak.
    for (EventBook book : waiting) { // releasing never changes the set (see release)
      if (book.closePassed(nowMicros)) book.releaseIfReady(nowMicros, effects);
    }
    finishEnded(nowMicros, effects);
    if (!streamsHeldBack) regions.forgetSilent(nowMicros, effects);
    return effects;
  }

  /** Events past their end and the grace, with nothing pending, leave; the rest are looked at again. */
  private void finishEnded(long nowMicros, List<Effect> effects) {
    while (!byEnd.isEmpty() && nowMicros - config.finishGraceMicros() >= byEnd.peek().spec().latestCloseMicros()) {
      overdue.add(byEnd.poll());
    }
    for (var it = overdue.iterator(); it.hasNext(); ) {
      EventBook book = it.next();
      if (!book.finishedAt(nowMicros, config.finishGraceMicros())) continue;
      it.remove();
      events.remove(book.spec().eventId());
      waiting.remove(book);
      effects.add(new Effect.EventFinished(book.spec().eventId()));
    }
  }

  public List<Effect> regionDisconnected(String region, long nowMicros) {
    RegionCursor cursor = regions.get(region);
    if (cursor != null) cursor.disconnect();
    return List.of();
  }

  /**
   * Tickets in stream order; {@code ticket.source()} equals {@code region}. Each stamp must be
   * above everything earlier on this stream and within the tolerated distance ahead of {@code
   * nowMicros}; otherwise the region is cut off and the rest of the input is dropped.
   */
  public List<Effect> ticketsReceived(String region, List<Ticket> tickets, long nowMicros) {
    RegionCursor cursor = connected(region);
    if (cursor == null) return List.of();
    List<Effect> effects = new ArrayList<>();
    for (Ticket ticket : tickets) {
      if (!receive(cursor, ticket, nowMicros, effects)) break;
    }
    release(cursor, nowMicros, effects);
    return effects;
  }

  private boolean receive(RegionCursor cursor, Ticket ticket, long nowMicros, List<Effect> effects) {
    String violation = ticket.source().equals(cursor.source())
        ? cursor.ticketViolation(ticket.stampMicros(), nowMicros, maxAheadMicros())
        : "ticket of region " + ticket.source() + " on the stream of " + cursor.source();
    if (violation != null) {
      cutOff(cursor, violation, effects);
      return false;
    }
    String outOfBounds = cursor.stampBoundViolation(ticket.stampMicros(), ageFloor.clockMicros(nowMicros),
        config.maxTicketAgeMicros());
    cursor.ticketHeard(ticket.stampMicros());
    spoke(cursor, nowMicros, effects);
    EventBook book = events.get(ticket.eventId());
    if (book == null) {
      effects.add(new Effect.RejectTicket(cursor.source(), ticket, TicketRefusal.EVENT_NOT_OPEN,
          "unknown event " + ticket.eventId()));
    } else {
      book.receive(ticket, cursor.clockFlagged(), outOfBounds, effects);
      if (book.hasPending() || book.awaitsClose()) waiting.add(book);
    }
    return true;
  }

  /**
   * The region promises no later ticket stamped at or before {@code watermarkMicros}. A watermark
   * below an earlier one on the same stream, or too far ahead of {@code nowMicros}, cuts the
   * region off; one below an earlier ticket stamp is allowed (that stamp already promised more).
   */
  public List<Effect> watermarkReceived(String region, long watermarkMicros, long nowMicros) {
    RegionCursor cursor = connected(region);
    if (cursor == null) return List.of();
    List<Effect> effects = new ArrayList<>();
    String violation = cursor.watermarkViolation(watermarkMicros, nowMicros, maxAheadMicros());
    if (violation != null) {
      cutOff(cursor, violation, effects);
    } else {
      cursor.watermarkHeard(watermarkMicros);
      spoke(cursor, nowMicros, effects);
    }
    release(cursor, nowMicros, effects);
    return effects;
  }

  /** The region's measured clock offset (region minus arbiter) and the probe's round trip. */
  public List<Effect> clockReported(String region, long offsetMicros, long roundTripMicros, long nowMicros) {
    RegionCursor cursor = connected(region);
    if (cursor == null) return List.of();
    if (!cursor.clockMeasured(offsetMicros, roundTripMicros, config.maxClockSkewMicros())) return List.of();
    List<Effect> effects = new ArrayList<>();
    effects.add(new Effect.SendClockVerdict(
        cursor.source(), cursor.clockFlagged(), cursor.clockVerdictMessage(config.maxClockSkewMicros())));
    release(cursor, nowMicros, effects);
    return effects;
  }

  /**
   * The store holds the batch {@code sequence} of {@code eventId}: its decisions may be told. A
   * repeated acknowledgement of a batch already persisted is ignored.
   *
   * @throws IllegalStateException when no such batch was ever emitted (an adapter bug)
   */
  public List<Effect> batchPersisted(String eventId, long sequence, long nowMicros) {
    EventBook book = events.get(eventId);
    if (book == null) throw new IllegalArgumentException("batch " + sequence + " of unknown event " + eventId);
    List<Effect> effects = new ArrayList<>();
    book.persisted(sequence, nowMicros, effects);
    if (!book.hasPending() && !book.awaitsClose()) waiting.remove(book);
    return effects;
  }

  /**
   * The store holds the result of auction {@code eventId} (sent with {@link
   * Effect.PersistAuctionClose}): it may be announced.
   */
  public List<Effect> auctionClosePersisted(String eventId, long nowMicros) {
    EventBook book = events.get(eventId);
    if (book == null) throw new IllegalArgumentException("close of unknown auction " + eventId);
    List<Effect> effects = new ArrayList<>();
    book.closePersisted(nowMicros, effects);
    if (!book.hasPending() && !book.awaitsClose()) waiting.remove(book);
    return effects;
  }

  /**
   * The store refused batch {@code sequence} of {@code eventId}, writing nothing: {@code decided}
   * holds the stored decisions of request ids decided in an earlier term, {@code unitsHeld} the
   * stored units of users the batch would push over the limit. Retries get their stored decision;
   * the rest is decided again knowing the users' units.
   */
  public List<Effect> batchRefused(String eventId, long sequence, Map<String, Decision> decided,
      Map<String, Long> unitsHeld, long nowMicros) {
    EventBook book = events.get(eventId);
    if (book == null) throw new IllegalArgumentException("refusal of batch " + sequence + " of unknown event " + eventId);
    List<Effect> effects = new ArrayList<>();
    book.refused(sequence, decided, unitsHeld, nowMicros, effects);
    if (!book.hasPending() && !book.awaitsClose()) waiting.remove(book);
    return effects;
  }

  /** A durable decision, if the request was decided and persisted. */
  public Optional<Decision> persistedDecision(String eventId, String requestId) {
    EventBook book = events.get(eventId);
    return book == null ? Optional.empty() : book.persistedDecision(requestId);
  }

  /** The ticket of a request this sequencer holds undecided, if any (a region that restarted has forgotten it). */
  public Optional<Ticket> pendingTicket(String eventId, String requestId) {
    EventBook book = events.get(eventId);
    return book == null ? Optional.empty() : book.pendingTicket(requestId);
  }

  /**
   * Of an event past its close by {@code nowMicros}: the region nodes cut off or silent (or regions
   * with no node known) that may still send a ticket stamped inside it, so that an unknown request
   * id may yet be decided. Empty for an event still open, or not held here (let go, or never known).
   */
  public List<String> mayStillSendInWindow(String eventId, long nowMicros) {
    EventBook book = events.get(eventId);
    if (book == null || nowMicros < book.spec().latestCloseMicros()) return List.of();
    return book.sourcesNotPastClose(nowMicros);
  }

  /** An auction's durable standing bids and close; closed, with its winners, once the result is stored. */
  public Optional<flashsale.sale.AuctionStanding> auctionStanding(String eventId) {
    return Optional.ofNullable(events.get(eventId)).flatMap(EventBook::auctionStanding);
  }

  /** An auction's stored result, once closed. */
  public Optional<flashsale.sale.AuctionClose> auctionResult(String eventId) {
    return auctionStanding(eventId).filter(flashsale.sale.AuctionStanding::closed).map(a -> a.asClose(eventId));
  }

  public Optional<EventStatus> eventStatus(String eventId) {
    return Optional.ofNullable(events.get(eventId)).map(EventBook::status);
  }

  /**
   * Every region node that connected, and every region an event names that no node has spoken
   * for yet, by source key.
   */
  public List<RegionNodeStatus> regionStatuses() {
    return regions.statuses();
  }

  private RegionCursor cursor(String source, long nowMicros) {
    return regions.cursor(source, nowMicros, this::joinEvents);
  }

  /** A source first known now joins the frontier of every event its region sells. */
  private void joinEvents(RegionCursor cursor) {
    for (EventBook book : events.values()) book.addSource(cursor);
  }

  private void spoke(RegionCursor cursor, long nowMicros, List<Effect> effects) {
    regions.spoke(cursor);
    regions.heard(cursor, nowMicros, "spoke again", this::joinEvents, effects);
  }

  private RegionCursor connected(String region) {
    RegionCursor cursor = regions.get(region);
    return cursor != null && cursor.connected() ? cursor : null;
  }

  private long maxAheadMicros() {
    return config.maxClockSkewMicros() + config.futureStampToleranceMicros();
  }

  private static void cutOff(RegionCursor cursor, String reason, List<Effect> effects) {
    cursor.disconnect();
    effects.add(new Effect.CutOffRegion(cursor.source(), reason));
  }

  /**
   * What the region said may have moved the frontier of the events it sells in; only those with
   * tickets waiting have anything to release.
   */
  private void release(RegionCursor cursor, long nowMicros, List<Effect> effects) {
    for (EventBook book : waiting) {
      if (book.sellsIn(cursor.region())) book.releaseIfReady(nowMicros, effects);
    }
  }
}
