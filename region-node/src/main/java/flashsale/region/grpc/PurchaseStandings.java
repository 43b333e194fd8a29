package flashsale.region.grpc;

import flashsale.loop.LoopScheduler;
import flashsale.orders.OrderRecord;
import flashsale.region.core.Failure;
import flashsale.region.core.OrderStates;
import flashsale.region.core.PurchaseStanding;
import flashsale.sale.Decision;
import flashsale.sale.ErrorReason;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.Order;
import flashsale.v1.OrderUpdate;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.wire.OrderWire;
import flashsale.wire.WireMapping;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where decided purchases stand after their decision, as this region learns it, and the
 * WatchPurchase streams following them. Order changes come pushed on the arbiter stream once stored
 * ({@link #orderUpdate}); what is not known here is asked of the arbiter (GetDecision), which
 * answers only what its store holds. A watch is told its standing at once, then each change, and
 * ends once settled. A watch that may have missed a push asks again: after a reconnect (changes
 * stored meanwhile were pushed to nobody), and a loser whose order is being stored once the stored
 * waitlist is full (being not waitlisted is pushed to nobody). Loop-confined.
 */
final class PurchaseStandings {
  private static final Logger log = LoggerFactory.getLogger(PurchaseStandings.class);

  /** The arbiter's GetDecision ({@link ArbiterQueries#getDecision} in production). */
  interface Arbiter {
    void getDecision(String eventId, String requestId, Consumer<GetDecisionResponse> then, Consumer<Failure> failed);
  }

  private record Key(String eventId, String requestId) {}

  /** One purchase's watchers and the standing they were last told. */
  private static final class Watch {
    PurchaseStanding standing;
    final List<StreamObserver<WatchPurchaseResponse>> outs = new ArrayList<>(1);
    boolean asking;
  }

  private final OrderStates states;
  private final Arbiter arbiter;
  private final LoopScheduler loop;
  private final long retryMs;
  private final int maxWatchers;
  private final int maxRefreshesInFlight;
  private final Map<Key, Watch> watches = new HashMap<>();
  /**
   * Watches waiting for their turn to ask again, oldest first: after a reconnect every open watch
   * asks, and all at once they would fill the region's cap on arbiter questions, refusing buyers'
   * own look-ups (TOO_MANY_PENDING) until the storm drained.
   */
  private final java.util.LinkedHashMap<Key, Watch> toRefresh = new java.util.LinkedHashMap<>();
  private int refreshesInFlight;
  private boolean askingInTurn;
  /** Spreads retries after failed questions, so watches that failed together do not ask together again. */
  private final java.util.SplittableRandom jitter = new java.util.SplittableRandom();
  private int watchers;
  private Failure closedWith;

  /**
   * @param retryMs wait before asking again after a failed question (on average: ±50 %)
   * @param maxWatchers most open watches; beyond, new ones are refused
   * @param maxRefreshesInFlight most watches asking the arbiter at once; the others wait their turn
   */
  PurchaseStandings(OrderStates states, Arbiter arbiter, LoopScheduler loop, long retryMs, int maxWatchers,
      int maxRefreshesInFlight) {
    if (maxRefreshesInFlight < 1) throw new IllegalArgumentException("maxRefreshesInFlight < 1: " + maxRefreshesInFlight);
    this.states = states;
    this.arbiter = arbiter;
    this.loop = loop;
    this.retryMs = retryMs;
    this.maxWatchers = maxWatchers;
    this.maxRefreshesInFlight = maxRefreshesInFlight;
  }

  /** The standing of a purchase decided here: from what is known, else asked (and remembered). */
  void standing(Decision decision, Consumer<PurchaseStanding> then, Consumer<Failure> failed) {
    Optional<Boolean> window = states.paymentWindow(decision.eventId());
    if (window.isPresent()) {
      PurchaseStanding known = window.get()
          ? new PurchaseStanding(decision, true, states.find(decision.eventId(), decision.requestId()))
          : PurchaseStanding.decided(decision);
      if (!known.orderBeingStored()) {
        then.accept(known);
        return;
      }
    }
    ask(decision.eventId(), decision.requestId(), then,
        pending -> failed.accept(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "the arbiter holds " + decision.requestId()
            + " as pending, though it was decided")), failed);
  }

  /**
   * Watches a purchase decided here: its decision at once, as known here, then each change of its
   * order until settled. What is not known here yet (whether the event has a payment window, or
   * the order being stored) is asked in turn and asked again on failure, never at the cost of the
   * decision: a burst of decisions watched together, or an arbiter that cannot answer, delays the
   * order's first stage only.
   */
  void watchDecided(Decision decision, long startedInGeneration, StreamObserver<WatchPurchaseResponse> out) {
    Optional<Boolean> window = states.paymentWindow(decision.eventId());
    // An unknown window is taken as one the event may have until the answer says otherwise.
    PurchaseStanding known = window.orElse(true)
        ? new PurchaseStanding(decision, true, states.find(decision.eventId(), decision.requestId()))
        : PurchaseStanding.decided(decision);
    watch(known, startedInGeneration, out);
    Key key = new Key(decision.eventId(), decision.requestId());
    Watch watch = watches.get(key);
    if (watch != null && watch.outs.contains(out) && (window.isEmpty() || watch.standing.orderBeingStored())) {
      refresh(key, watch);
    }
  }

  /** Asks the arbiter; a decision's window and order are remembered, and {@code decided} gets its standing. */
  void ask(String eventId, String requestId, Consumer<PurchaseStanding> decided, Consumer<GetDecisionResponse> pending,
      Consumer<Failure> failed) {
    long generation = states.generation();
    arbiter.getDecision(eventId, requestId, r -> {
      if (!r.hasDecision()) {
        pending.accept(r);
        return;
      }
      Optional<PurchaseStanding> learned = learn(r, generation);
      if (learned.isPresent()) decided.accept(learned.get());
      else failed.accept(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "the arbiter sent an unusable answer for " + requestId));
    }, failed);
  }

  /** Current arbiter stream's number: a watch started under an earlier one asks again. */
  long generation() {
    return states.generation();
  }

  /** RESOURCE_EXHAUSTED while this region has as many open watches as it takes. */
  Optional<Failure> admitWatch(int waitingForADecision) {
    if (closedWith != null) return Optional.of(closedWith);
    int open = watchers + waitingForADecision;
    return open < maxWatchers ? Optional.empty() : Optional.of(Failure.of(ErrorReason.TOO_MANY_PENDING,
        "this region has " + open + " open purchase watches, its most; retry later or ask GetPurchase"));
  }

  /**
   * Starts a watch at {@code standing} (or what is known newer), asked no earlier than stream
   * {@code startedInGeneration}: tells it at once, and then each change until settled.
   */
  void watch(PurchaseStanding standing, long startedInGeneration, StreamObserver<WatchPurchaseResponse> out) {
    if (out instanceof ServerCallStreamObserver<?> call && call.isCancelled()) return;
    if (closedWith != null) {
      out.onError(RegionWire.status(closedWith));
      return;
    }
    Key key = new Key(standing.eventId(), standing.requestId());
    Watch watch = watches.get(key);
    PurchaseStanding now = newest(standing, states.find(key.eventId(), key.requestId()));
    if (watch != null) now = newest(now, watch.standing.order());
    if (!send(out, now)) return;
    if (now.settled()) {
      out.onCompleted();
      return;
    }
    if (watch == null) {
      watch = new Watch();
      watches.put(key, watch);
    }
    watch.standing = now;
    watch.outs.add(out);
    watchers++;
    boolean mayHaveMissed = startedInGeneration != states.generation()
        || now.orderBeingStored() && !now.decision().won() && states.isWaitlistFull(key.eventId());
    if (mayHaveMissed) refresh(key, watch);
  }

  /** The watcher went away (cancelled, or its deadline passed). */
  void forget(String eventId, String requestId, StreamObserver<WatchPurchaseResponse> out) {
    Key key = new Key(eventId, requestId);
    Watch watch = watches.get(key);
    if (watch == null || !watch.outs.remove(out)) return;
    watchers--;
    if (watch.outs.isEmpty()) watches.remove(key);
  }

  /** A write of an event's orders is stored: each changed purchase, and whether its waitlist is full. */
  void orderUpdate(OrderUpdate update) {
    String eventId = update.getEventId();
    states.paymentWindow(eventId, true);
    for (Order order : update.getOrdersList()) {
      OrderRecord record;
      try {
        record = OrderWire.fromProto(order);
      } catch (IllegalArgumentException e) {
        log.warn("ignored malformed order event={} request_id={} reason=\"{}\"", eventId, order.getRequestId(), e.getMessage());
        continue;
      }
      states.report(eventId, record, states.generation());
      Key key = new Key(eventId, record.requestId());
      Watch watch = watches.get(key);
      if (watch != null) advance(key, watch, Optional.of(record));
    }
    if (update.getWaitlistFull() && states.waitlistFull(eventId)) {
      // Losers whose order is being stored may be past the bound: nothing more is pushed for those.
      for (var e : List.copyOf(watches.entrySet())) {
        PurchaseStanding s = e.getValue().standing;
        if (e.getKey().eventId().equals(eventId) && s.orderBeingStored() && !s.decision().won()) refresh(e.getKey(), e.getValue());
      }
    }
  }

  /** A new arbiter stream is up: every unsettled watch asks where it stands now. */
  void reconnected() {
    states.reconnected();
    for (var e : List.copyOf(watches.entrySet())) refresh(e.getKey(), e.getValue());
  }

  /** Ends every watch with {@code failure} (shutdown), and refuses new ones. */
  void close(Failure failure) {
    closedWith = failure;
    for (Watch watch : watches.values()) {
      for (StreamObserver<WatchPurchaseResponse> out : watch.outs) {
        try {
          out.onError(RegionWire.status(failure));
        } catch (RuntimeException gone) {
          // the client left first
        }
      }
    }
    watches.clear();
    toRefresh.clear();
    watchers = 0;
  }

  /** The event was let go (ended long ago, nothing pending): its flags are asked again if needed. */
  void forgetEvent(String eventId) {
    states.forgetEvent(eventId);
  }

  /** Flags of events no longer known (put back by a late order update) are asked again if needed. */
  void forgetEventsUnless(java.util.function.Predicate<String> known) {
    states.forgetEventsUnless(known);
  }

  int watchers() {
    return watchers;
  }

  /** Watches waiting for their turn to ask the arbiter again. */
  int refreshesWaiting() {
    return toRefresh.size();
  }

  /**
   * Asks the arbiter again for a watched purchase, in turn (one question per watch at a time, at
   * most {@code maxRefreshesInFlight} in all; a failed one is retried).
   */
  private void refresh(Key key, Watch watch) {
    if (watch.asking) return;
    toRefresh.put(key, watch); // a watch of the same purchase opened again replaces the one gone
    askInTurn();
  }

  private void askInTurn() {
    // A question refused at once (the region's query cap full) answers on this stack and calls back
    // here: that call returns, and this loop goes on with the next in turn.
    if (askingInTurn) return;
    askingInTurn = true;
    try {
      while (refreshesInFlight < maxRefreshesInFlight && !toRefresh.isEmpty()) {
        var next = toRefresh.pollFirstEntry();
        if (watches.get(next.getKey()) == next.getValue() && !next.getValue().asking) ask(next.getKey(), next.getValue());
      }
    } finally {
      askingInTurn = false;
    }
  }

  private void ask(Key key, Watch watch) {
    watch.asking = true;
    refreshesInFlight++;
    long generation = states.generation();
    arbiter.getDecision(key.eventId(), key.requestId(), r -> {
      answered(watch);
      if (watches.get(key) == watch) {
        learn(r, generation).ifPresent(fresh -> {
          if (fresh.paymentWindow()) advance(key, watch, fresh.order());
          else finish(key, watch); // no window after all: the decision they were told is final
        });
        // A reconnect while asking found this question under way: ask under the new stream too.
        if (watches.get(key) == watch && generation != states.generation()) refresh(key, watch);
      }
      askInTurn();
    }, failure -> {
      answered(watch);
      if (failure.reason() == ErrorReason.PURCHASE_NOT_FOUND || failure.reason() == ErrorReason.EVENT_NOT_FOUND) {
        // The arbiter no longer holds it (its retention ended): asking again cannot change that, and
        // the decision they were told stands.
        if (watches.get(key) == watch) finish(key, watch);
        askInTurn();
        return;
      }
      log.debug("watch refresh failed event={} request_id={} reason={}", key.eventId(), key.requestId(), failure.reason());
      loop.schedule(() -> {
        if (watches.get(key) == watch) refresh(key, watch);
      }, retryMs / 2 + jitter.nextLong(retryMs + 1));
      askInTurn();
    });
  }

  private void answered(Watch watch) {
    watch.asking = false;
    refreshesInFlight--;
    assert refreshesInFlight >= 0 : "more refreshes answered than asked";
  }

  /** Ends the watch's streams: what they were last told is final. */
  private void finish(Key key, Watch watch) {
    for (StreamObserver<WatchPurchaseResponse> out : List.copyOf(watch.outs)) {
      try {
        out.onCompleted();
      } catch (RuntimeException gone) {
        // the watcher went away meanwhile
      }
    }
    if (watches.remove(key) == watch) watchers -= watch.outs.size();
  }

  /** Tells the watchers a later stage of the order, if {@code reported} is one; ends them once settled. */
  private void advance(Key key, Watch watch, Optional<OrderRecord> reported) {
    Optional<PurchaseStanding> next = reported.flatMap(watch.standing::advancedBy);
    if (next.isEmpty()) return;
    watch.standing = next.get();
    boolean settled = watch.standing.settled();
    for (StreamObserver<WatchPurchaseResponse> out : List.copyOf(watch.outs)) {
      if (send(out, watch.standing) && settled) out.onCompleted();
    }
    if (settled && watches.remove(key) == watch) watchers -= watch.outs.size();
  }

  /** What the arbiter answered, remembered; empty for an answer that makes no sense. */
  private Optional<PurchaseStanding> learn(GetDecisionResponse r, long generation) {
    try {
      Decision decision = WireMapping.fromProto(r.getDecision());
      states.paymentWindow(decision.eventId(), r.getHasPaymentWindow());
      Optional<OrderRecord> order = r.hasOrder() ? Optional.of(OrderWire.fromProto(r.getOrder())) : Optional.empty();
      PurchaseStanding standing = new PurchaseStanding(decision, r.getHasPaymentWindow(), order);
      order.ifPresent(o -> states.report(decision.eventId(), o, generation));
      // A push may have come in before this answer.
      return Optional.of(newest(standing, states.find(decision.eventId(), decision.requestId())));
    } catch (RuntimeException e) {
      log.warn("ignored unusable arbiter answer request_id={} reason=\"{}\"", r.getDecision().getRequestId(), e.getMessage());
      return Optional.empty();
    }
  }

  private static PurchaseStanding newest(PurchaseStanding standing, Optional<OrderRecord> other) {
    if (!standing.paymentWindow()) return standing;
    return other.flatMap(standing::advancedBy).orElse(standing);
  }

  /** False when the watcher is gone (it is forgotten). */
  private boolean send(StreamObserver<WatchPurchaseResponse> out, PurchaseStanding standing) {
    try {
      out.onNext(RegionWire.toWatch(RegionWire.toProto(standing)));
      return true;
    } catch (RuntimeException gone) {
      forget(standing.eventId(), standing.requestId(), out);
      return false;
    }
  }
}
