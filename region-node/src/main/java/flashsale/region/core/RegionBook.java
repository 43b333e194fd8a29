package flashsale.region.core;

import flashsale.sale.Decision;
import flashsale.sale.RecentDecisions;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.sale.ErrorReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The region's pending table: which purchases wait for the arbiter, which were decided (bounded
 * LRU memory so retries get the same answer), and which events sold out. Enforces "one ticket per
 * request_id" at this region and the cap on pending tickets.
 */
public final class RegionBook {
  private final String region;
  private final int maxPending;
  /** Insertion order is stamp order, because stamps only grow; resend relies on it. */
  private final LinkedHashMap<String, Ticket> pending = new LinkedHashMap<>();
  private final RecentDecisions decided;
  private final Map<String, Long> soldOutMicros = new HashMap<>();
  /** Pending tickets per event and user (no entry for none): at most one entry per pending ticket. */
  private final Map<UserInEvent, Integer> pendingPerUser = new HashMap<>();
  private final int maxPendingPerUser;
  private long lastTicketMicros = Long.MIN_VALUE;

  public RegionBook(String region, int maxPending, int rememberedDecisions) {
    this(region, maxPending, rememberedDecisions, Integer.MAX_VALUE);
  }

  /** @param maxPendingPerUser most undecided purchases one user may hold in one event */
  public RegionBook(String region, int maxPending, int rememberedDecisions, int maxPendingPerUser) {
    if (maxPendingPerUser < 1) throw new IllegalArgumentException("maxPendingPerUser < 1: " + maxPendingPerUser);
    this.maxPendingPerUser = maxPendingPerUser;
    if (maxPending < 1) throw new IllegalArgumentException("maxPending < 1: " + maxPending);
    if (rememberedDecisions < 1) throw new IllegalArgumentException("rememberedDecisions < 1: " + rememberedDecisions);
    this.region = region;
    this.maxPending = maxPending;
    this.decided = new RecentDecisions(rememberedDecisions);
  }

  /** What a retry of a known request_id gets: the answer, a join, or REQUEST_ID_REUSED. */
  public Optional<Admission> known(BuyRequest req) {
    Optional<Answer> answer = answer(req.requestId());
    if (answer.isPresent()) {
      return Optional.of(req.sameContentAs(answer.get().ticket()) ? new Admission.Decided(answer.get()) : reused(req));
    }
    Ticket ticket = pending.get(req.requestId());
    if (ticket != null) {
      return Optional.of(req.sameContentAs(ticket) ? new Admission.Joined(ticket) : reused(req));
    }
    return Optional.empty();
  }

  /**
   * A purchase of a syntactically valid request for {@code spec}, stamped {@code stampMicros}
   * (strictly above every earlier ticket's stamp).
   */
  public Admission purchase(BuyRequest req, EventSpec spec, long stampMicros) {
    return purchase(req, spec, stampMicros, 0);
  }

  /** As above, the ticket carrying {@code errorBoundMicros} of stamp uncertainty. */
  public Admission purchase(BuyRequest req, EventSpec spec, long stampMicros, long errorBoundMicros) {
    if (!spec.eventId().equals(req.eventId())) {
      throw new IllegalArgumentException("spec of " + spec.eventId() + " for request of " + req.eventId());
    }
    Optional<Admission> known = known(req);
    if (known.isPresent()) return known.get();
    Optional<Failure> broken = PurchaseRules.checkEvent(spec, region, req, stampMicros);
    if (broken.isPresent()) return new Admission.Failed(broken.get());
    // Sold out or not, the purchase becomes a ticket: the arbiter answers one for a sold-out event
    // at its next batch (without waiting for the frontier once no waitlist can take it; ranked in
    // order while one can), and records the loss (or, for a retry of
    // a purchase decided through another region, answers that decision), so a look-up anywhere,
    // after any restart, finds the same answer.
    // The spec's event id (equal, checked above): one instance for all of the event's tickets.
    Ticket ticket =
        new Ticket(spec.eventId(), req.requestId(), req.userId(), req.quantity(), region, stampMicros, errorBoundMicros,
            req.slots(), req.bidMinor());
    if (pending.size() >= maxPending) {
      return new Admission.Failed(Failure.of(ErrorReason.TOO_MANY_PENDING,
          "region " + region + " already holds " + pending.size() + " pending purchases (max " + maxPending + ")"));
    }
    UserInEvent user = new UserInEvent(ticket.eventId(), ticket.userId());
    if (pendingPerUser.getOrDefault(user, 0) >= maxPendingPerUser) {
      return new Admission.Failed(new Failure(ErrorReason.TOO_MANY_PENDING_FOR_USER, "user " + req.userId()
          + " already has " + maxPendingPerUser + " undecided purchases in event " + req.eventId()
          + "; wait for their decisions", Map.of("user_id", req.userId(), "event_id", req.eventId())));
    }
    if (stampMicros <= lastTicketMicros) {
      throw new IllegalStateException("stamp " + stampMicros + " us not above last ticket " + lastTicketMicros + " us");
    }
    lastTicketMicros = stampMicros;
    pending.put(req.requestId(), ticket);
    pendingPerUser.merge(user, 1, Integer::sum);
    return new Admission.Ticketed(ticket);
  }

  /**
   * The arbiter decided one of our tickets, or the ticket another region stamped first for a
   * request_id retried here (the arbiter tells the decision to every region that sent the id).
   * Completes it if pending; otherwise only remembers a decision of our own ticket (a decision
   * for a ticket sent before a restart, or one already lost locally keeps its first answer: one
   * decision per request_id).
   */
  public Optional<Completion> decided(Decision decision) {
    Ticket ticket = decision.ticket();
    Ticket waiting = pending.get(ticket.requestId());
    if (waiting == null && !ticket.region().equals(region)) return Optional.empty();
    if (waiting != null && waiting.samePurchaseAs(ticket)) {
      removePending(ticket.requestId());
      decided.put(ticket.requestId(), decision); // for retries, while it is among the newest rememberedDecisions
      return Optional.of(new Completion(ticket.requestId(), new Admission.Decided(new Answer.Ranked(decision))));
    }
    if (waiting == null) decided.putIfAbsent(ticket.requestId(), decision);
    return Optional.empty();
  }

  /**
   * The event sold out at {@code soldOutMicros} (for buyers' views). Pending tickets keep waiting:
   * the arbiter answers them soon (ranked in order while its waitlist has room), and a pending
   * ticket may be a retry of a purchase that won
   * elsewhere, so losing it here could contradict the recorded decision.
   */
  public void soldOut(String eventId, long soldOutMicros) {
    this.soldOutMicros.merge(eventId, soldOutMicros, Math::min);
  }

  /**
   * A request id this node held nothing of, decided at the arbiter (at another node, or here before
   * a restart): the decision for the same purchase, REQUEST_ID_REUSED for another.
   */
  public Admission.Settled decidedElsewhere(BuyRequest req, Decision decision) {
    return req.sameContentAs(decision.ticket()) ? new Admission.Decided(new Answer.Ranked(decision)) : reused(req);
  }

  /** The events with a ticket pending here. */
  java.util.Set<String> eventsWithPending() {
    java.util.Set<String> events = new java.util.HashSet<>();
    pendingPerUser.keySet().forEach(k -> events.add(k.eventId()));
    return events;
  }

  /** Lets go of what is kept for the event (none of its tickets pending). */
  void forgetEvent(String eventId) {
    soldOutMicros.remove(eventId);
  }

  /** The arbiter refused the ticket: the purchase ends with {@code failure} and is forgotten. */
  public Optional<Completion> rejected(String requestId, Failure failure) {
    Ticket removed = removePending(requestId);
    if (removed == null) return Optional.empty();
    return Optional.of(new Completion(requestId, new Admission.Failed(failure)));
  }

  /** Every pending ticket in stamp order: what a new stream must resend first. */
  public List<Ticket> undecidedTickets() {
    return List.copyOf(pending.values());
  }

  public Optional<Ticket> pendingTicket(String requestId) {
    return Optional.ofNullable(pending.get(requestId));
  }

  public Optional<Answer> answer(String requestId) {
    return decided.get(requestId).map(Answer.Ranked::new);
  }

  public OptionalLong soldOutMicros(String eventId) {
    Long micros = soldOutMicros.get(eventId);
    return micros == null ? OptionalLong.empty() : OptionalLong.of(micros);
  }

  public int pendingCount() {
    return pending.size();
  }

  public int rememberedCount() {
    return decided.size();
  }

  private Ticket removePending(String requestId) {
    Ticket removed = pending.remove(requestId);
    if (removed != null) {
      pendingPerUser.computeIfPresent(new UserInEvent(removed.eventId(), removed.userId()), (k, n) -> n == 1 ? null : n - 1);
    }
    return removed;
  }

  /** A user's purchases in one event: a key of two shared strings, not a string built per call. */
  private record UserInEvent(String eventId, String userId) {}

  private Admission.Failed reused(BuyRequest req) {
    return new Admission.Failed(Failure.of(ErrorReason.REQUEST_ID_REUSED,
        "request_id " + req.requestId() + " was already used with another event, user, quantity, slots or bid"));
  }
}
