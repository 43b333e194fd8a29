package flashsale.client.fakes;

import flashsale.client.ProtoTimes;
import flashsale.v1.Event;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The state behind the fake services: events, first-come-first-served decisions against stock, and
 * knobs for the failure cases the client must handle (held purchases, UNAVAILABLE attempts).
 * Deliberately the latency-biased baseline: whoever reaches it first wins.
 */
public final class FakeLedger {
  private final Map<String, Event> events = new HashMap<>();
  private final Map<String, String> createRequestIds = new HashMap<>();
  private final Map<String, Long> remaining = new HashMap<>();
  private final Map<String, PurchaseDecision> decisions = new HashMap<>();
  private final List<PurchaseDecision> log = new ArrayList<>();
  private final Map<String, Instant> pending = new HashMap<>();
  private final Set<String> heldEvents = new HashSet<>();
  private final Set<String> droppedEvents = new HashSet<>();
  private long rank;
  private int unavailableAttemptsLeft;
  private int purchaseAttempts;
  private boolean omitRanks;

  private final Map<String, List<flashsale.v1.Order>> orderHistory = new HashMap<>();

  /**
   * After the win: the states a purchase's order goes through, in order; GetPurchase shows the
   * last, WatchPurchase streams them all.
   */
  public synchronized void orderHistory(String eventId, String requestId, flashsale.v1.Order... states) {
    orderHistory.put(key(eventId, requestId), List.of(states));
  }

  synchronized List<flashsale.v1.Order> orderHistory(String eventId, String requestId) {
    return orderHistory.getOrDefault(key(eventId, requestId), List.of());
  }

  private boolean watchesStayOpen;

  private int watchCuts;

  /** The next {@code n} WatchPurchase streams send their first state and then end UNAVAILABLE, as a node cutting old connections. */
  public synchronized void cutNextWatches(int n) {
    watchCuts = n;
  }

  private int watchRefusals;

  /** The next {@code n} WatchPurchase calls end UNAVAILABLE at once, as a node that is down. */
  public synchronized void refuseNextWatches(int n) {
    watchRefusals = n;
  }

  synchronized boolean takeWatchRefusal() {
    if (watchRefusals == 0) return false;
    watchRefusals--;
    return true;
  }

  synchronized boolean takeWatchCut() {
    if (watchCuts == 0) return false;
    watchCuts--;
    return true;
  }

  /** WatchPurchase streams send their states and then stay open, as for an order still awaiting payment. */
  public synchronized void keepWatchesOpen() {
    watchesStayOpen = true;
  }

  synchronized boolean watchesStayOpen() {
    return watchesStayOpen;
  }

  /** Adds an event directly, as if created earlier. */
  public synchronized void addEvent(Event event) {
    events.put(event.getEventId(), event);
    remaining.put(event.getEventId(), event.getStock());
  }

  /** Purchases of this event are stamped but never decided, so callers hit their deadline. */
  private int lookUpsToRefuse;
  private Status lookUpStatus;

  /** The next {@code n} GetPurchase calls are refused RESOURCE_EXHAUSTED RATE_LIMITED. */
  public synchronized void failNextLookUps(int n) {
    failNextLookUps(n, null);
  }

  /** The next {@code n} GetPurchase calls fail with {@code status} (null: RATE_LIMITED). */
  public synchronized void failNextLookUps(int n, Status status) {
    lookUpsToRefuse = n;
    lookUpStatus = status;
  }

  /** The failure of this GetPurchase, if it is to fail. */
  synchronized Optional<RuntimeException> takeLookUpRefusal() {
    if (lookUpsToRefuse == 0) return Optional.empty();
    lookUpsToRefuse--;
    return Optional.of(lookUpStatus == null ? Errors.error(ErrorReason.RATE_LIMITED, "client address over its look-up rate")
        : lookUpStatus.asRuntimeException());
  }

  /** Purchases of {@code eventId} are never answered nor kept: as if the deadline passed before the region had them. */
  public synchronized void drop(String eventId) {
    droppedEvents.add(eventId);
  }

  synchronized boolean dropped(String eventId) {
    return droppedEvents.contains(eventId);
  }

  public synchronized void hold(String eventId) {
    heldEvents.add(eventId);
  }

  /** Decisions come back without a rank, as a buggy node might send them. */
  public synchronized void omitRanks() {
    omitRanks = true;
  }

  /** The next {@code n} purchase attempts fail with UNAVAILABLE. */
  public synchronized void failNextPurchases(int n) {
    unavailableAttemptsLeft = n;
  }

  public synchronized int purchaseAttempts() {
    return purchaseAttempts;
  }

  synchronized boolean takeUnavailableAttempt() {
    purchaseAttempts++;
    if (unavailableAttemptsLeft > 0) {
      unavailableAttemptsLeft--;
      return true;
    }
    return false;
  }

  /** The error a real node sends for an unknown event. */
  static StatusRuntimeException eventNotFound(String eventId) {
    return Errors.error(ErrorReason.EVENT_NOT_FOUND, "event " + eventId + " not found");
  }

  synchronized Optional<Event> event(String eventId) {
    return Optional.ofNullable(events.get(eventId));
  }

  synchronized boolean held(String eventId) {
    return heldEvents.contains(eventId);
  }

  /** Returns the earlier event for a repeated request id, empty when the id is new and the event exists. */
  synchronized Optional<Event> create(String requestId, Event event) {
    String key = event.getEventId();
    if (events.containsKey(key)) {
      return requestId.equals(createRequestIds.get(key)) ? Optional.of(events.get(key)) : Optional.empty();
    }
    addEvent(event);
    createRequestIds.put(key, requestId);
    return Optional.of(event);
  }

  synchronized void stamp(PurchaseRequest request, Instant arrival) {
    pending.putIfAbsent(key(request.getEventId(), request.getRequestId()), arrival);
  }

  synchronized PurchaseDecision decide(String region, PurchaseRequest request, Instant arrival) {
    String key = key(request.getEventId(), request.getRequestId());
    PurchaseDecision earlier = decisions.get(key);
    if (earlier != null) {
      return earlier;
    }
    long left = remaining.get(request.getEventId());
    boolean won = left >= request.getQuantity();
    if (won) {
      remaining.put(request.getEventId(), left - request.getQuantity());
    }
    PurchaseDecision.Builder d =
        PurchaseDecision.newBuilder()
            .setEventId(request.getEventId())
            .setRequestId(request.getRequestId())
            .setUserId(request.getUserId())
            .setQuantity(request.getQuantity())
            .setOutcome(won ? Outcome.OUTCOME_WON : Outcome.OUTCOME_LOST)
            .setRank(omitRanks ? 0 : ++rank)
            .setRegion(region)
            .setArrivalTime(ProtoTimes.timestamp(arrival))
            .setDecideTime(ProtoTimes.timestamp(Instant.now()));
    if (!won) {
      d.setLossReason(left == 0 ? LossReason.LOSS_REASON_SOLD_OUT : LossReason.LOSS_REASON_INSUFFICIENT_STOCK);
    }
    PurchaseDecision decision = d.build();
    decisions.put(key, decision);
    log.add(decision);
    return decision;
  }

  synchronized Optional<PurchaseDecision> decision(String eventId, String requestId) {
    return Optional.ofNullable(decisions.get(key(eventId, requestId)));
  }

  synchronized Optional<Instant> pendingArrival(String eventId, String requestId) {
    return Optional.ofNullable(pending.get(key(eventId, requestId)));
  }

  synchronized List<PurchaseDecision> log(String eventId) {
    return log.stream().filter(d -> d.getEventId().equals(eventId)).toList();
  }

  synchronized long remaining(String eventId) {
    return remaining.getOrDefault(eventId, 0L);
  }

  private static String key(String eventId, String requestId) {
    return eventId + "/" + requestId;
  }
}
