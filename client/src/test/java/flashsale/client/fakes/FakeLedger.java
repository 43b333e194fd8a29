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

  private final Map<String, List<flashsale.v1.WinningBid>> standingBids = new HashMap<>();
  private final Set<String> closedAuctions = new HashSet<>();
  private int eventReadsToFail;
  private int auctionWatchCuts;
  private boolean createsUnanswered;

  /**
   * Judges a bid as an auction without a reserve would: every bid is ACCEPTED and stands (the
   * fake keeps no units), closing when the event ends.
   */
  synchronized PurchaseDecision bid(String region, flashsale.v1.PlaceBidRequest request, Instant arrival) {
    String key = key(request.getEventId(), request.getRequestId());
    PurchaseDecision earlier = decisions.get(key);
    if (earlier != null) return earlier;
    PurchaseDecision decision = PurchaseDecision.newBuilder().setEventId(request.getEventId())
        .setRequestId(request.getRequestId()).setUserId(request.getUserId()).setQuantity(1)
        .setOutcome(Outcome.OUTCOME_WON).setRank(++rank).setRegion(region)
        .setArrivalTime(ProtoTimes.timestamp(arrival)).setDecideTime(ProtoTimes.timestamp(Instant.now()))
        .setBid(flashsale.v1.BidDecision.newBuilder().setAnswer(flashsale.v1.BidAnswer.BID_ANSWER_ACCEPTED)
            .setAmountMinor(request.getAmountMinor()).setCloseTime(events.get(request.getEventId()).getEndTime()))
        .build();
    decisions.put(key, decision);
    log.add(decision);
    standingBids.computeIfAbsent(request.getEventId(), e -> new ArrayList<>()).add(flashsale.v1.WinningBid.newBuilder()
        .setRequestId(request.getRequestId()).setUserId(request.getUserId()).setAmountMinor(request.getAmountMinor())
        .setRegion(region).setArrivalTime(ProtoTimes.timestamp(arrival)).build());
    return decision;
  }

  /** The auction as a region shows it: its standing bids, and whether it closed. */
  synchronized flashsale.v1.AuctionResult auction(String eventId) {
    return flashsale.v1.AuctionResult.newBuilder().setClosed(closedAuctions.contains(eventId))
        .addAllWinningBids(standingBids.getOrDefault(eventId, List.of())).build();
  }

  /** Closes the auction: its standing bids have won. */
  public synchronized void closeAuction(String eventId) {
    closedAuctions.add(eventId);
  }

  /** The next {@code n} GetEvent calls at a region end UNAVAILABLE, as a region that is restarting. */
  public synchronized void failNextEventReads(int n) {
    eventReadsToFail = n;
  }

  synchronized boolean takeEventReadFailure() {
    if (eventReadsToFail == 0) return false;
    eventReadsToFail--;
    return true;
  }

  /** The next {@code n} WatchAuction streams send the auction as it is and then end UNAVAILABLE, as a node cutting old connections. */
  public synchronized void cutNextAuctionWatches(int n) {
    auctionWatchCuts = n;
  }

  synchronized boolean takeAuctionWatchCut() {
    if (auctionWatchCuts == 0) return false;
    auctionWatchCuts--;
    return true;
  }

  /** CreateEvent stores the event but answers nothing, as an arbiter whose answer is lost: the caller's deadline ends it. */
  public synchronized void answerNoCreates(boolean unanswered) {
    createsUnanswered = unanswered;
  }

  synchronized boolean createsUnanswered() {
    return createsUnanswered;
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
