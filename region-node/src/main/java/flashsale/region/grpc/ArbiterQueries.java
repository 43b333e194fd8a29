package flashsale.region.grpc;

import flashsale.region.core.BuyerLimits;
import flashsale.region.core.Failure;
import flashsale.region.core.RegionCore;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.LookupEventRequest;
import flashsale.v1.LookupEventResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.sale.ErrorReason;
import flashsale.net.ProtocolLog;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region's unary questions to the arbiter: an event it has not been told of, and a decision
 * for a purchase it never saw. Each call has a deadline and answers on the loop; concurrent
 * look-ups of one event share one call. At most {@code maxInFlight} are open at once: buyers can
 * ask about any request id, and these questions ride the connection of the arbiter stream (seen:
 * an abuser's 24,000 timed-out purchases became as many GetDecision calls, with nothing to bound
 * them). Beyond it a GetDecision waits its turn, up to {@link #WAITING_PER_SLOT} per slot: a burst of
 * purchases just past a sale's end asks one each (any may be a retry decided elsewhere), and would
 * otherwise be refused TOO_MANY_PENDING rather than told EVENT_ENDED; past that, and for the other
 * questions, a question is answered TOO_MANY_PENDING at once. Look-ups of events the core does not
 * know (anyone can name made-up ones) hold at most half the slots. The live views of an event
 * (a reservation's slots, an auction's standing) are one LookupEvent shared by every buyer who asks
 * while it is open or within {@code viewMaxAgeMs} of its answer: buyers polling a reservation cost
 * the arbiter's store one read per event per interval, not one each. Loop-confined.
 */
final class ArbiterQueries {
  /** How long a buyer turned away by the cap is told to wait. */
  static final long BUSY_RETRY_MS = 100;

  private final RegionLoop loop;
  private final RegionCore core;
  /** The channel to the arbiter leading an event's partition. */
  private final java.util.function.Function<String, Channel> channel;
  private final long timeoutMs;
  private final int maxInFlight;
  private int inFlight;
  /** GetDecisions waiting for a free slot, oldest first. */
  private final java.util.ArrayDeque<Runnable> waitingForASlot = new java.util.ArrayDeque<>();
  /** How many GetDecisions may wait per slot before the next is refused. */
  static final int WAITING_PER_SLOT = 4;
  /** Thousands may fail together when the arbiter is slow: one line each filled 43 MB of log in a minute. */
  private static final ProtocolLog failureLog = ProtocolLog.of(ArbiterQueries.class, "arbiter query failed");
  private final Map<String, List<Consumer<Optional<Failure>>>> lookups = new HashMap<>();
  /** Auctions whose stored result the arbiter announced: final, so asked no more. */
  private final Map<String, flashsale.v1.AuctionResult> closedAuctions = new HashMap<>();
  /** The last or open LookupEvent behind each event's live view (events the core knows only). */
  private final Map<String, SharedView> views = new HashMap<>();
  /** Above this many views, old ones are dropped before a new one is made. */
  static final int MAX_IDLE_VIEWS = 1_024;
  private static final Logger log = LoggerFactory.getLogger(ArbiterQueries.class);
  private final long viewMaxAgeNanos;

  ArbiterQueries(RegionLoop loop, RegionCore core, java.util.function.Function<String, Channel> channel, long timeoutMs,
      int maxInFlight, long viewMaxAgeMs) {
    if (maxInFlight < 1) throw new IllegalArgumentException("max in-flight queries must be at least 1, got " + maxInFlight);
    if (viewMaxAgeMs < 0) throw new IllegalArgumentException("event view max age must be at least 0 ms, got " + viewMaxAgeMs);
    this.loop = loop;
    this.core = core;
    this.channel = channel;
    this.timeoutMs = timeoutMs;
    this.maxInFlight = maxInFlight;
    this.viewMaxAgeNanos = TimeUnit.MILLISECONDS.toNanos(viewMaxAgeMs);
  }

  /** One event's live view: the answer last read and when, and the buyers waiting for the one open. */
  private static final class SharedView {
    LookupEventResponse last;
    long lastNanos;
    /** Non-null while a LookupEvent is open: who gets its answer. */
    List<ViewWaiter> waiting;
  }

  /** A buyer waiting for a shared LookupEvent's answer. */
  private record ViewWaiter(Consumer<LookupEventResponse> then, Consumer<Failure> failed) {}


  /**
   * Asks for an unknown event and adds it to the core; {@code then} gets empty when the core now
   * knows it, or the failure for the caller (EVENT_NOT_FOUND or ARBITER_UNAVAILABLE).
   */
  void lookupEvent(String eventId, Consumer<Optional<Failure>> then) {
    List<Consumer<Optional<Failure>>> waiting = lookups.get(eventId);
    if (waiting != null) {
      waiting.add(then);
      return;
    }
    if (lookups.size() >= maxEventLookups()) {
      then.accept(Optional.of(busy()));
      return;
    }
    if (turnedAway(failure -> then.accept(Optional.of(failure)))) return;
    lookups.put(eventId, new ArrayList<>(List.of(then)));
    stub(eventId).lookupEvent(LookupEventRequest.newBuilder().setEventId(eventId).build(), reply(
        "LookupEvent " + eventId, ErrorReason.EVENT_NOT_FOUND, "no event " + eventId,
        (LookupEventResponse r) -> lookedUp(eventId, r),
        failure -> finishLookup(eventId, Optional.of(failure))));
  }

  /**
   * Look-ups of events the core does not know may hold at most half the slots: anyone can name
   * made-up event ids, and the other half stays for the decisions buyers ask after.
   */
  int maxEventLookups() {
    return Math.max(1, maxInFlight / 2);
  }

  /** Asks for a decision; {@code then} gets it, or the failure (PURCHASE_NOT_FOUND or ARBITER_UNAVAILABLE). */
  void getDecision(String eventId, String requestId, Consumer<GetDecisionResponse> then, Consumer<Failure> failed) {
    boolean slotFree = inFlight < maxInFlight && waitingForASlot.isEmpty(); // no overtaking those waiting
    if (slotFree) {
      askDecision(eventId, requestId, then, failed, timeoutMs);
    } else if (waitingForASlot.size() < maxInFlight * WAITING_PER_SLOT) {
      long queuedNanos = loop.nanoTime();
      waitingForASlot.add(() -> {
        long leftMs = timeoutMs - TimeUnit.NANOSECONDS.toMillis(loop.nanoTime() - queuedNanos);
        if (leftMs <= 0) {
          failed.accept(busy()); // its caller's wait is as long as a call's: it has given up
        } else {
          askDecision(eventId, requestId, then, failed, leftMs);
        }
      });
    } else {
      failed.accept(busy());
    }
  }

  private void askDecision(String eventId, String requestId, Consumer<GetDecisionResponse> then,
      Consumer<Failure> failed, long deadlineMs) {
    stub(eventId).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).getDecision(
        GetDecisionRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build(),
        reply("GetDecision " + requestId, ErrorReason.PURCHASE_NOT_FOUND,
            "no purchase " + requestId + " in event " + eventId, then, failed));
  }

  /** A reservation's slots with what the store holds left of each; {@code failed} gets why not. */
  void slotsOf(String eventId, Consumer<List<flashsale.v1.SlotStatus>> then, Consumer<Failure> failed) {
    view(eventId, r -> then.accept(r.getSlotsList()), failed);
  }

  /**
   * The event's LookupEvent answer: the last one if younger than the max age, else the open one's,
   * else a new call's (within the in-flight cap).
   */
  private void view(String eventId, Consumer<LookupEventResponse> then, Consumer<Failure> failed) {
    if (views.size() > MAX_IDLE_VIEWS) forgetOldViews();
    SharedView view = views.computeIfAbsent(eventId, id -> new SharedView());
    if (view.waiting != null) {
      view.waiting.add(new ViewWaiter(then, failed));
      return;
    }
    if (view.last != null && loop.nanoTime() - view.lastNanos <= viewMaxAgeNanos) {
      then.accept(view.last);
      return;
    }
    if (turnedAway(failed)) return;
    List<ViewWaiter> waiting = new ArrayList<>(List.of(new ViewWaiter(then, failed)));
    view.waiting = waiting;
    stub(eventId).lookupEvent(LookupEventRequest.newBuilder().setEventId(eventId).build(), reply(
        "LookupEvent " + eventId, ErrorReason.EVENT_NOT_FOUND, "no event " + eventId,
        (LookupEventResponse r) -> {
          view.waiting = null;
          view.last = r;
          view.lastNanos = loop.nanoTime();
          tellEach(waiting, w -> w.then().accept(r));
        },
        failure -> {
          view.waiting = null;
          tellEach(waiting, w -> w.failed().accept(failure));
        }));
  }

  /** Every waiter is told, whatever one of them throws (a buyer's call cancelled meanwhile, say). */
  private static void tellEach(List<ViewWaiter> waiting, Consumer<ViewWaiter> tell) {
    for (ViewWaiter w : waiting) {
      try {
        tell.accept(w);
      } catch (RuntimeException e) {
        log.debug("a buyer waiting for an event view could not be told: {}", e.toString());
      }
    }
  }

  /** Views nobody waits for and too old to serve: dropped, so events polled once leave nothing behind. */
  private void forgetOldViews() {
    long nowNanos = loop.nanoTime();
    views.values().removeIf(v -> v.waiting == null && (v.last == null || nowNanos - v.lastNanos > viewMaxAgeNanos));
  }

  /**
   * An auction's close and standing bids as the arbiter's store holds them, or its result once
   * closed (known here from the announcement, or asked); {@code failed} gets why not.
   */
  void auctionOf(String eventId, Consumer<flashsale.v1.AuctionResult> then, Consumer<Failure> failed) {
    var closed = closedAuctions.get(eventId);
    if (closed != null) {
      then.accept(closed);
      return;
    }
    view(eventId, r -> {
      if (r.getAuction().getClosed()) auctionClosed(eventId, r.getAuction());
      then.accept(r.getAuction());
    }, failed);
  }

  /** The arbiter announced the auction's stored result, or a look-up found it. */
  void auctionClosed(String eventId, flashsale.v1.AuctionResult result) {
    closedAuctions.put(eventId, result);
    closedFound.accept(eventId, result);
  }

  private java.util.function.BiConsumer<String, flashsale.v1.AuctionResult> closedFound = (eventId, result) -> {};

  /** Told each auction result this node learns, however it learns it (a look-up after a missed announcement too). */
  void onAuctionClosed(java.util.function.BiConsumer<String, flashsale.v1.AuctionResult> listener) {
    this.closedFound = listener;
  }

  /** The event was let go (ended long ago): its result is asked again if anyone wants it. */
  void forgetEvent(String eventId) {
    closedAuctions.remove(eventId);
  }

  /** True while a look-up of {@code eventId} is under way: later purchases of it queue behind it. */
  boolean lookingUp(String eventId) {
    return lookups.containsKey(eventId);
  }

  /**
   * The arbiter announced {@code eventId} on the stream (the core knows it now): the purchases
   * waiting for its look-up go on at once, in the order they came, rather than a round trip later.
   */
  void eventKnown(String eventId) {
    finishLookup(eventId, Optional.empty());
  }

  private void lookedUp(String eventId, LookupEventResponse response) {
    var spec = ArbiterInbound.toSpec(response.getEvent()).filter(s -> s.eventId().equals(eventId));
    spec.ifPresent(core::eventAnnounced);
    finishLookup(eventId, spec.isPresent() ? Optional.empty()
        : Optional.of(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "arbiter sent an unusable event for " + eventId)));
  }

  private void finishLookup(String eventId, Optional<Failure> outcome) {
    List<Consumer<Optional<Failure>>> waiting = lookups.remove(eventId);
    if (waiting != null) waiting.forEach(w -> w.accept(outcome));
  }

  private SequencerServiceGrpc.SequencerServiceStub stub(String eventId) {
    return SequencerServiceGrpc.newStub(channel.apply(eventId))
        .withExecutor(loop)
        .withMaxInboundMessageSize(ArbiterChannels.MAX_INBOUND_BYTES)
        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** True, after telling {@code failed} to come back later, when the cap is reached. */
  private boolean turnedAway(Consumer<Failure> failed) {
    if (inFlight < maxInFlight) return false;
    failed.accept(busy());
    return true;
  }

  private Failure busy() {
    return new Failure(ErrorReason.TOO_MANY_PENDING, "region has " + maxInFlight + " questions open at the"
        + " arbiter; retry in " + BUSY_RETRY_MS + " ms", Map.of(BuyerLimits.RETRY_DELAY_MS, Long.toString(BUSY_RETRY_MS)));
  }

  private void replied() {
    if (--inFlight < 0) throw new IllegalStateException("more replies than questions to the arbiter");
  }

  /** Freed slots go to the questions waiting for one, oldest first (once a reply is handled). */
  private void askWaiting() {
    while (inFlight < maxInFlight && !waitingForASlot.isEmpty()) waitingForASlot.poll().run();
  }

  /** Counts the call open until its reply. */
  private <R> Reply<R> reply(String what, ErrorReason notFound, String notFoundMessage, Consumer<R> then,
      Consumer<Failure> failed) {
    inFlight++;
    return new Reply<>(what, notFound, notFoundMessage, then, failed);
  }

  /** One unary reply: NOT_FOUND becomes {@code notFound}, any other error ARBITER_UNAVAILABLE. */
  private final class Reply<R> implements StreamObserver<R> {

    private final String what;
    private final ErrorReason notFound;
    private final String notFoundMessage;
    private final Consumer<R> then;
    private final Consumer<Failure> failed;

    Reply(String what, ErrorReason notFound, String notFoundMessage, Consumer<R> then, Consumer<Failure> failed) {
      this.what = what;
      this.notFound = notFound;
      this.notFoundMessage = notFoundMessage;
      this.then = then;
      this.failed = failed;
    }

    @Override
    public void onNext(R value) {
      then.accept(value);
    }

    @Override
    public void onError(Throwable t) {
      replied();
      try {
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.NOT_FOUND) {
          failed.accept(Failure.of(notFound, notFoundMessage));
        } else {
          failureLog.rejected(status.getCode().name(), "query=" + what + " status=\"" + status + "\"");
          failed.accept(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, what + " failed: " + status.getCode() + " "
              + status.getDescription()));
        }
      } finally {
        askWaiting();
      }
    }

    @Override
    public void onCompleted() {
      replied();
      askWaiting();
    }
  }
}
