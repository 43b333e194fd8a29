package flashsale.region.core;

import flashsale.sale.TicketRefusal;
import flashsale.sale.SaleState;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.sale.ErrorReason;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.OptionalLong;

/**
 * Everything a region knows, behind one single-threaded entry point: the events it has been told
 * of, its stamp clock, its pending table and its clock estimate. Each method is one input (a call,
 * an arbiter message, a tick) and returns what the adapters must answer.
 */
public final class RegionCore {
  /** Enough probes to ride out a burst of queueing (at 100 ms per probe: the last ~1.6 s). */
  public static final int CLOCK_WINDOW = 16;

  /** How far inside the arbiters' age bound a resent ticket must be (for their clock reading and the resend's trip). */
  static final long STALE_MARGIN_MICROS = 1_000_000;

  private final String region;
  private final StampClock clock;
  private final RegionBook book;
  private final ClockOffsetEstimator clockEstimate = new ClockOffsetEstimator(CLOCK_WINDOW);
  private final Map<String, EventSpec> events = new HashMap<>();
  private final StampUncertainty uncertainty;
  private final BuyerLimits limits;
  private LongSupplier unstampedReads = () -> Long.MAX_VALUE;
  static final long PUSH_COUNTED_MICROS = 1_000;
  private long stampsPushed;
  /**
   * Partitions whose stream is linked and not yet welcomed: new purchases of their events are
   * refused (see {@link #awaitWelcome}).
   */
  private final java.util.BitSet awaitingWelcome = new java.util.BitSet();
  /** The arbiters' bound on a new ticket's age, as the last welcome said (0: none, or not told yet). */
  private long maxTicketAgeMicros;
  private flashsale.sale.Partitions partitions = flashsale.sale.Partitions.ONE;

  /** A buyer's view of one event. */
  public record EventView(EventSpec spec, SaleState state, OptionalLong soldOutMicros) {
    /**
     * This auction's view once the arbiter's store says where its close stands: OPEN until that
     * close (soft close may have moved it past the end), not until the end.
     */
    public EventView withAuctionClose(long closeMicros, boolean closed, long nowMicros) {
      return new EventView(spec, SaleState.ofAuction(spec, soldOutMicros.isPresent(), closeMicros, closed, nowMicros),
          soldOutMicros);
    }
  }

  public RegionCore(String region, int maxPending, int rememberedDecisions, InstantSource clock) {
    this(region, maxPending, rememberedDecisions, clock, StampUncertainty.defaults());
  }

  /** @param uncertainty what each ticket reports as its stamp's error bound */
  public RegionCore(String region, int maxPending, int rememberedDecisions, InstantSource clock,
      StampUncertainty uncertainty) {
    this(region, maxPending, rememberedDecisions, clock, uncertainty, BuyerLimits.Settings.OFF);
  }

  /** @param limits how many new purchases one user or client address may place, and hold undecided */
  public RegionCore(String region, int maxPending, int rememberedDecisions, InstantSource clock,
      StampUncertainty uncertainty, BuyerLimits.Settings limits) {
    this.uncertainty = uncertainty;
    this.region = region;
    this.clock = new StampClock(clock);
    this.limits = new BuyerLimits(limits);
    this.book = new RegionBook(region, maxPending, rememberedDecisions, limits.maxPendingPerUser());
  }

  public String region() {
    return region;
  }

  /** The request's field syntax ({@link PurchaseRules#validate}); needs no state, so any thread may ask. */
  public static Optional<Failure> validate(BuyRequest req) {
    return PurchaseRules.validate(req);
  }

  public boolean knowsEvent(String eventId) {
    return events.containsKey(eventId);
  }

  /** The arbiter told us of an event (on connect, on creation, or on lookup). */
  public void eventAnnounced(EventSpec spec) {
    events.put(spec.eventId(), spec);
  }

  /**
   * A Purchase call. Retries of a known request_id are answered first, so a retry still gets its
   * decision while the clock is flagged; new purchases need a known event and a trusted clock.
   */
  public Admission purchase(BuyRequest req) {
    return purchase(req, clock.nowMicros());
  }

  /**
   * A purchase that reached this region at {@code arrivalMicros}, read from {@link #arrivalMicros}
   * when the call came in: stamping it then, not when the loop gets to it, keeps queueing inside
   * this process out of the ranking.
   */
  public Admission purchase(BuyRequest req, long arrivalMicros) {
    return purchase(req, arrivalMicros, "");
  }

  /**
   * As above, from {@code clientAddress}: a new purchase (not a retry of a known request id) is
   * counted against its user's and its address's rate limits.
   */
  public Admission purchase(BuyRequest req, long arrivalMicros, String clientAddress) {
    Optional<Failure> invalid = validate(req);
    if (invalid.isPresent()) return new Admission.Failed(invalid.get());
    return purchaseValidated(req, arrivalMicros, clientAddress);
  }

  /**
   * As {@link #purchase(BuyRequest, long, String)} for a request that already passed {@link
   * #validate} (the adapter checks it once, before the loop): each purchase is checked once.
   */
  public Admission purchaseValidated(BuyRequest req, long arrivalMicros, String clientAddress) {
    assert validate(req).isEmpty() : "purchaseValidated with an invalid request: " + validate(req);
    EventSpec spec = events.get(req.eventId());
    // A ticket carries no currency: a bid in another one is refused before the retry look-up, so
    // its answer does not depend on whether this node remembers the first.
    Optional<Failure> wrongKind = spec == null ? Optional.empty() : PurchaseRules.checkKind(spec, req);
    if (wrongKind.isPresent()) return new Admission.Failed(wrongKind.get());
    Optional<Admission> known = book.known(req);
    if (known.isPresent()) return known.get();
    if (spec == null) {
      return new Admission.Failed(Failure.of(ErrorReason.EVENT_NOT_FOUND, "no event " + req.eventId()));
    }
    if (awaitingWelcome.get(partitions.of(req.eventId()))) {
      return new Admission.Failed(Failure.of(ErrorReason.ARBITER_UNAVAILABLE,
          "region " + region + " has not been welcomed by an arbiter yet; retry shortly"));
    }
    Optional<Failure> early = notStartedYet(spec, arrivalMicros);
    if (early.isPresent()) return new Admission.Failed(early.get());
    Optional<Failure> limited = limits.admit(req.userId(), clientAddress, arrivalMicros);
    if (limited.isPresent()) return new Admission.Failed(limited.get());
    if (clockEstimate.flagged()) {
      return new Admission.Failed(Failure.of(ErrorReason.CLOCK_SKEW,
          "region " + region + " clock is flagged by the arbiter: " + clockEstimate.verdictMessage()));
    }
    long stampMicros = stampRead(arrivalMicros);
    // Pushed past the read (another stamp came first): the push is part of this stamp's error.
    long pushedMicros = stampMicros - arrivalMicros;
    Admission admitted = book.purchase(req, spec, stampMicros, uncertainty.boundMicros(clockEstimate, stampMicros) + pushedMicros);
    if (admitted instanceof Admission.Failed f && f.failure().reason() == ErrorReason.EVENT_ENDED) {
      return new Admission.Unremembered(f.failure()); // not known here: maybe decided elsewhere
    }
    return admitted;
  }

  /**
   * Where a purchase read at {@code arrivalMicros} from {@code clientAddress} goes, given the modes
   * whose sellers this region runs ({@code soldHere}): those events never reach the sequencer, and
   * they take no bids. A purchase for a seller counts against its user's and address's rate limits
   * (retries too: only the seller's store knows them); the sequencer's purchases are counted by
   * {@link #purchaseValidated}, after their request id is looked up.
   */
  public PurchaseRoute route(BuyRequest req, long arrivalMicros, java.util.Set<flashsale.sale.SaleMode> soldHere,
      String clientAddress) {
    EventSpec spec = events.get(req.eventId());
    if (spec == null || !soldHere.contains(spec.mode())) return new PurchaseRoute.ToSequencer();
    if (req.bid().isPresent()) {
      return new PurchaseRoute.Refused(Failure.of(ErrorReason.WRONG_EVENT_KIND, "event " + req.eventId() + " is a "
          + spec.mode() + " sale, not an auction: it takes no bids"));
    }
    Optional<Failure> early = notStartedYet(spec, arrivalMicros);
    if (early.isPresent()) return new PurchaseRoute.Refused(early.get());
    Optional<Failure> limited = limits.admit(req.userId(), clientAddress, arrivalMicros);
    if (limited.isPresent()) return new PurchaseRoute.Limited(spec, limited.get());
    return new PurchaseRoute.ToSeller(spec, stampRead(arrivalMicros));
  }

  /** A GetEvent from {@code clientAddress}: counted against the address's rate limit. */
  public Optional<Failure> admitLookup(String clientAddress) {
    return limits.admitLookup(clientAddress, clock.nowMicros());
  }

  /** Returns the token {@link #admitLookup} took for a look-up that turned into a purchase. */
  public void giveBackLookup(String clientAddress) {
    limits.giveBackLookup(clientAddress);
  }

  /**
   * This node sells through an arbiter stream: until the first welcome, new purchases are refused
   * with a retryable ARBITER_UNAVAILABLE (health says NOT_SERVING meanwhile). No arbiter knows the
   * node yet, so a ticket stamped now could land behind what is already released.
   */
  public void awaitWelcome() {
    awaitWelcome(0);
  }

  /** As {@link #awaitWelcome()}, for the stream of {@code partition} only. */
  public void awaitWelcome(int partition) {
    awaitingWelcome.set(partition);
  }

  /** Events split into {@code split} partitions, each with its own stream; before any stream starts. */
  public void splitInto(flashsale.sale.Partitions split) {
    this.partitions = split;
  }

  public flashsale.sale.Partitions partitions() {
    return partitions;
  }

  /**
   * An arbiter welcomed this node: it stamps nothing at or below {@code stampFloorMicros} from now
   * on (what it already promised, and the latest stamp released in its region's events), and takes
   * purchases. A node whose clock trails the floor stamps just above it until the clock passes it.
   */
  public void welcomed(long stampFloorMicros) {
    welcomed(0, stampFloorMicros);
  }

  /** As {@link #welcomed(long)}, by the leader of {@code partition}: every floor raises the one clock. */
  public void welcomed(int partition, long stampFloorMicros) {
    welcomed(partition, stampFloorMicros, 0);
  }

  /**
   * As {@link #welcomed(int, long)}, from an arbiter that ranks no new ticket stamped more than
   * {@code maxTicketAgeMicros} behind this region's clock (0: no bound).
   */
  public void welcomed(int partition, long stampFloorMicros, long maxTicketAgeMicros) {
    if (maxTicketAgeMicros < 0) throw new IllegalArgumentException("maxTicketAgeMicros < 0: " + maxTicketAgeMicros);
    if (stampFloorMicros > 0) clock.raiseFloor(stampFloorMicros); // 0: the arbiter released nothing here yet
    awaitingWelcome.clear(partition);
    this.maxTicketAgeMicros = maxTicketAgeMicros;
  }

  public List<Completion> decisionsArrived(List<Decision> decisions) {
    List<Completion> done = new ArrayList<>(decisions.size());
    for (Decision d : decisions) book.decided(d).ifPresent(done::add);
    return done;
  }

  /**
   * A retry of a request id whose decision this node remembers: its answer (or REQUEST_ID_REUSED for
   * other content), whether or not the event is still known here; empty for anything else. A node
   * lets go of an event an hour after its end, but remembers decisions longer: asking the arbiter
   * for the event first would hide the answer behind its failures (a leader change, its retention).
   */
  public Optional<Admission.Settled> rememberedAnswer(BuyRequest req) {
    return book.known(req).filter(Admission.Settled.class::isInstance).map(Admission.Settled.class::cast);
  }

  /**
   * EVENT_NOT_STARTED for a purchase whose stamp would fall before the sale: said before the rate limits are
   * counted, so a buyer polling for the start (a refusal that costs the node nothing) has not
   * spent its tokens when it opens.
   */
  private Optional<Failure> notStartedYet(EventSpec spec, long arrivalMicros) {
    // The stamp it would get (a floor or an earlier stamp may lift it past the read): judged as the stamp is.
    long stampMicros = Math.max(arrivalMicros, clock.lastMicros() + 1);
    return stampMicros < spec.startMicros() ? PurchaseRules.windowFailure(spec, stampMicros) : Optional.empty();
  }

  /** The answer to {@code req} ({@link Admission.Unremembered}) from the arbiter's stored decision. */
  public Admission.Settled decidedElsewhere(BuyRequest req, Decision decision) {
    return book.decidedElsewhere(req, decision);
  }

  /**
   * Lets go of the events whose sale (its latest close) ended before {@code beforeMicros} and that
   * hold no ticket pending here, and returns them, so the adapters let go of theirs: a node that
   * runs sale after sale keeps what is live, not every event it ever heard of. A later call about
   * one of them looks it up at the arbiter again.
   */
  public List<String> forgetEventsEndedBefore(long beforeMicros) {
    List<String> ended = events.values().stream().filter(s -> s.latestCloseMicros() < beforeMicros)
        .map(EventSpec::eventId).toList();
    if (ended.isEmpty()) return ended;
    java.util.Set<String> pending = book.eventsWithPending();
    List<String> forgotten = ended.stream().filter(e -> !pending.contains(e)).toList();
    for (String eventId : forgotten) {
      events.remove(eventId);
      book.forgetEvent(eventId);
    }
    return forgotten;
  }

  public void soldOut(String eventId, long soldOutMicros) {
    book.soldOut(eventId, soldOutMicros);
  }

  /** The arbiter refused a ticket; ignored unless it is still pending here for that event. */
  public Optional<Completion> rejected(String eventId, String requestId, TicketRefusal rejection, String message) {
    Optional<Ticket> ticket = book.pendingTicket(requestId).filter(t -> t.eventId().equals(eventId));
    if (ticket.isEmpty()) return Optional.empty();
    Failure failure = PurchaseRules.rejectionFailure(rejection, ticket.get(), Optional.ofNullable(events.get(eventId)),
        message, arrivalMicros());
    return book.rejected(requestId, failure);
  }

  /**
   * A ticket pending here whose fate the arbiter could not tell (it let the event go and did not
   * answer the look-up): its calls fail with {@code failure}, and nothing is remembered, so a retry
   * asks the arbiter again.
   */
  public Optional<Completion> unanswered(String eventId, String requestId, Failure failure) {
    if (pendingTicket(eventId, requestId).isEmpty()) return Optional.empty();
    return book.rejected(requestId, failure);
  }

  /**
   * The arbiter refused a ticket pending here, stamped inside the sale, as not open, after the sale
   * ended: it let the finished event go, and may have decided the ticket before (while this region
   * was away). Its store holds that decision: ask before failing the ticket.
   */
  public boolean refusedAfterTheEventWasLetGo(String eventId, String requestId, TicketRefusal rejection) {
    EventSpec spec = events.get(eventId);
    Optional<Ticket> ticket = pendingTicket(eventId, requestId);
    return rejection == TicketRefusal.EVENT_NOT_OPEN && spec != null && ticket.isPresent()
        && PurchaseRules.refusedAfterItsEnd(spec, ticket.get().stampMicros(), arrivalMicros());
  }

  public Optional<Ticket> pendingTicket(String eventId, String requestId) {
    return book.pendingTicket(requestId).filter(t -> t.eventId().equals(eventId));
  }

  public Optional<Answer> answer(String eventId, String requestId) {
    return book.answer(requestId).filter(a -> a.ticket().eventId().equals(eventId));
  }

  /** The region clock's reading now; unlike the rest of this class, safe from any thread. */
  public long arrivalMicros() {
    return clock.nowMicros();
  }

  /** The event's definition, if this region has been told of it. */
  public Optional<EventSpec> eventSpec(String eventId) {
    return Optional.ofNullable(events.get(eventId));
  }

  /** The event as a buyer here sees it now, by this region's clock. */
  public Optional<EventView> eventView(String eventId) {
    EventSpec spec = events.get(eventId);
    if (spec == null) return Optional.empty();
    OptionalLong soldOut = book.soldOutMicros(eventId);
    return Optional.of(new EventView(spec, SaleState.at(spec, soldOut, clock.nowMicros()), soldOut));
  }

  public List<Ticket> undecidedTickets() {
    return book.undecidedTickets();
  }

  /**
   * What a new stream of {@code partition} resends: its undecided tickets in stamp order, but for
   * those stamped so long ago (the stream was down) that an arbiter would rank them as back-dated,
   * a final loss for a purchase that never had its turn. Those fail instead, retryable, and are
   * forgotten here: a retry is stamped anew, or answered by the arbiter if it did decide it.
   *
   * @param unranked gets the calls of the tickets not resent
   */
  public List<Ticket> ticketsToResend(int partition, java.util.function.Consumer<List<Completion>> unranked) {
    List<Ticket> undecided = undecidedTickets(partition);
    if (maxTicketAgeMicros == 0 || undecided.isEmpty()) return undecided;
    // The arbiter reads this clock through its offset estimate, and the resend takes time to get
    // there: a ticket this close to the bound could still cross it.
    long oldestMicros = clock.nowMicros() - (maxTicketAgeMicros - Math.min(STALE_MARGIN_MICROS, maxTicketAgeMicros / 4));
    if (undecided.getFirst().stampMicros() >= oldestMicros) return undecided;
    List<Ticket> resend = new ArrayList<>(undecided.size());
    List<Completion> failed = new ArrayList<>();
    for (Ticket ticket : undecided) {
      if (ticket.stampMicros() >= oldestMicros) {
        resend.add(ticket);
        continue;
      }
      long ageMs = (clock.nowMicros() - ticket.stampMicros()) / 1_000;
      book.rejected(ticket.requestId(), Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "region " + region
          + " could not reach an arbiter for " + ageMs + " ms after stamping " + ticket.requestId()
          + ", past the " + maxTicketAgeMicros / 1_000 + " ms in which a stamp is ranked: not ranked; retry (the same"
          + " request_id gets its decision if an arbiter made one)")).ifPresent(failed::add);
    }
    if (!failed.isEmpty()) unranked.accept(failed);
    return resend;
  }

  /** The undecided tickets of {@code partition}'s events, in stamp order. */
  public List<Ticket> undecidedTickets(int partition) {
    List<Ticket> all = book.undecidedTickets();
    if (partitions.count() == 1) return all;
    return all.stream().filter(t -> partitions.of(t.eventId()) == partition).toList();
  }

  /**
   * A stamp for a watermark: consumes it, so every later ticket is stamped strictly above. It stays
   * below the oldest purchase read off the socket and not yet stamped, so that purchase keeps its
   * read time instead of being pushed past the watermark.
   */
  public long nextStamp() {
    // The clock first: a read the scan below misses began after it, and reads a later time.
    long nowMicros = clock.nowMicros();
    long oldestReadMicros = unstampedReads.getAsLong();
    return clock.stampAt(oldestReadMicros == Long.MAX_VALUE ? nowMicros : Math.min(nowMicros, oldestReadMicros - 1));
  }

  /** A purchase's stamp, counting it when another stamp pushed it well past its read. */
  private long stampRead(long arrivalMicros) {
    long stampMicros = clock.stampAt(arrivalMicros);
    if (stampMicros - arrivalMicros > PUSH_COUNTED_MICROS) stampsPushed++;
    return stampMicros;
  }

  /**
   * Purchases stamped more than {@value #PUSH_COUNTED_MICROS} µs past their read (a watermark or
   * another stamp got there first). Stamps are read in order, so this stays near zero; a rising
   * count is unfairness the error bounds absorb, worth an alert.
   */
  public long stampsPushed() {
    return stampsPushed;
  }

  /** The stamp of something (a CENTRAL or SHARDED purchase) read at {@code arrivalMicros}. */
  public long stampAt(long arrivalMicros) {
    return clock.stampAt(arrivalMicros);
  }

  /**
   * Where {@link #nextStamp} learns the oldest read not yet stamped ({@code Long.MAX_VALUE} for
   * none); by default there is none.
   */
  public void unstampedReads(LongSupplier oldestReadMicros) {
    this.unstampedReads = Objects.requireNonNull(oldestReadMicros, "oldestReadMicros");
  }

  /** The raw clock, for probes (a probe must not bend time the way a stamp may). */
  public long nowMicros() {
    return clock.nowMicros();
  }

  /** A probe came back; returns the current estimate to report (min round trip of the window). */
  public ClockOffsetEstimator.ClockSample clockReplied(long originMicros, long receiveMicros, long transmitMicros) {
    ClockOffsetEstimator.ClockSample s = clockEstimate.add(originMicros, receiveMicros, transmitMicros, nowMicros());
    return clockEstimate.estimate().orElse(s);
  }

  public void clockVerdict(boolean flagged, String message) {
    clockEstimate.verdict(flagged, message);
  }

  /** The current clock offset estimate (region minus arbiter), once a probe came back. */
  public Optional<ClockOffsetEstimator.ClockSample> clockEstimate() {
    return clockEstimate.estimate();
  }

  public boolean clockFlagged() {
    return clockEstimate.flagged();
  }

  public int pendingCount() {
    return book.pendingCount();
  }
}
