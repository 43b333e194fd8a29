package flashsale.client;

import com.google.common.util.concurrent.ListenableFuture;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetEventResponse;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.WatchPurchaseRequest;
import flashsale.v1.WatchPurchaseResponse;
import io.grpc.Context;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Buys from a region node's {@code FlashSaleService}. Every call has a deadline; when a purchase
 * runs out of time before the arbiter decides, the client asks {@code GetPurchase} with the same
 * request id and returns {@link PurchaseResult.Pending} or the decision, never a duplicate buy.
 * {@link #getPurchase} also shows where a decided purchase stands after the win, and {@link
 * #watchPurchase} follows it as it changes. Thread-safe; share one instance per channel.
 */
public final class FlashSaleClient {
  /** Deadline for each call unless the constructor is given another. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

  private final FlashSaleServiceGrpc.FlashSaleServiceBlockingStub blockingStub;
  private final FlashSaleServiceGrpc.FlashSaleServiceStub asyncStub;
  private final FlashSaleServiceGrpc.FlashSaleServiceFutureStub futureStub;
  private final Duration deadline;

  /** A client with {@link #DEFAULT_DEADLINE}; the caller owns and closes the channel. */
  public FlashSaleClient(Channel channel) {
    this(channel, DEFAULT_DEADLINE);
  }

  /**
   * A client whose every call must finish within {@code deadline}: a purchase, reservation or bid
   * whose own call runs out is looked up within the same deadline (the call gets all of it but
   * {@link #lookUpReserve}), so the method returns or throws within {@code deadline}.
   */
  public FlashSaleClient(Channel channel, Duration deadline) {
    Objects.requireNonNull(channel, "channel");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    this.blockingStub = FlashSaleServiceGrpc.newBlockingStub(channel);
    this.asyncStub = FlashSaleServiceGrpc.newStub(channel);
    this.futureStub = FlashSaleServiceGrpc.newFutureStub(channel);
    this.deadline = deadline;
  }

  /**
   * Buys {@code quantity} units under a fresh random request id. A failure carries that id ({@link
   * FlashSaleException#requestId()}): after {@code DEADLINE_EXCEEDED} or {@code UNAVAILABLE} the
   * outcome is unknown, so a retry must reuse {@code e.requestId()}; a call under a new id may buy
   * a second time.
   */
  public PurchaseResult purchase(String eventId, String userId, int quantity) {
    return purchase(eventId, userId, newRequestId(), quantity);
  }

  /**
   * Buys {@code quantity} units (all or nothing). Retrying with the same {@code requestId} returns
   * the first decision.
   *
   * @throws FlashSaleException when the server refuses the request or cannot be reached, with
   *     {@code requestId}
   */
  public PurchaseResult purchase(String eventId, String userId, String requestId, int quantity) {
    return call(request(eventId, userId, requestId, quantity));
  }

  /**
   * Reserves {@code quantity} units of a reservation event in the first of {@code slots} (best
   * first) that has room for all of them at the request's turn; the decision names the slot.
   * Retrying with the same {@code requestId} and slots returns the first decision.
   *
   * @throws FlashSaleException when the server refuses the request or cannot be reached
   */
  public PurchaseResult reserve(String eventId, String userId, String requestId, int quantity, List<String> slots) {
    return call(request(eventId, userId, requestId, quantity).toBuilder().addAllSlots(slots).build());
  }

  /**
   * Bids {@code amountMinor} (integer minor units of {@code currencyCode}, the auction's) in an
   * auction; the decision says ACCEPTED (standing), OUTBID or TOO_LOW with the amount to beat, or
   * CLOSED. Retrying with the same {@code requestId} and amount returns the first decision.
   *
   * @throws FlashSaleException when the server refuses the bid or cannot be reached
   */
  public PurchaseResult bid(String eventId, String userId, String requestId, long amountMinor, String currencyCode) {
    PlaceBidRequest request = PlaceBidRequest.newBuilder().setEventId(eventId).setUserId(userId).setRequestId(requestId)
        .setAmountMinor(amountMinor).setCurrencyCode(currencyCode).build();
    Deadline end = endFromNow();
    try {
      return new PurchaseResult.Decided(blockingStub.withDeadline(callEnd(end)).placeBid(request).getDecision());
    } catch (StatusRuntimeException e) {
      FlashSaleException failure = FlashSaleException.from(e);
      if (ranOutOfTime(failure)) return lookUpAfterDeadline(eventId, requestId, end, e);
      throw failure.forRequest(requestId);
    }
  }

  /**
   * The call's deadline passed, so what became of the purchase is unknown: look it up. Not a
   * region's {@code REQUEST_INCOMPLETE}, which says the whole request never reached it (nothing to
   * look up; retrying under the same id is safe), and keeps its reason.
   */
  private static boolean ranOutOfTime(FlashSaleException failure) {
    return failure.code() == Status.Code.DEADLINE_EXCEEDED
        && failure.reason().filter("REQUEST_INCOMPLETE"::equals).isEmpty();
  }

  /** This client's deadline, counted from now. */
  private Deadline endFromNow() {
    return Deadline.after(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Of a purchase's deadline, what is kept back for its look-up should the call run out: a quarter,
   * at most 1 s (a look-up is one quick read at the region).
   */
  Duration lookUpReserve() {
    return deadline.dividedBy(4).compareTo(Duration.ofSeconds(1)) < 0 ? deadline.dividedBy(4) : Duration.ofSeconds(1);
  }

  /** When the call itself must end, of a purchase that must be answered or looked up by {@code end}. */
  private Deadline callEnd(Deadline end) {
    return end.offset(-lookUpReserve().toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * A call whose deadline passed is looked up: pending or decided. The region may not have it at
   * all (the deadline passed while connecting, or before the request reached it): that is not a
   * refusal but an unknown outcome, so it stays DEADLINE_EXCEEDED, safe to retry under the same id.
   */
  private PurchaseResult lookUpAfterDeadline(String eventId, String requestId, Deadline end,
      StatusRuntimeException expired) {
    try {
      return getPurchase(eventId, requestId, end);
    } catch (FlashSaleException e) {
      throw notReceived(eventId, requestId, e, expired);
    }
  }

  private static FlashSaleException notReceived(String eventId, String requestId, FlashSaleException lookUp,
      Throwable expired) {
    boolean notThere = lookUp.code() == Status.Code.NOT_FOUND && lookUp.reason().filter("PURCHASE_NOT_FOUND"::equals).isPresent();
    // An unknown event is the region's answer; any other failed look-up (rate-limited, unreachable,
    // out of time, an internal error, a refused caller) says nothing of the purchase either.
    if (lookUp.code() == Status.Code.NOT_FOUND && !notThere) return lookUp.forRequest(requestId);
    var failure = new FlashSaleException(Status.Code.DEADLINE_EXCEEDED, "", "the deadline passed before the region "
        + (notThere ? "had" : "could say what became of") + " request " + requestId + " of event " + eventId
        + ": its outcome is unknown; retry with the same request id", expired);
    failure.addSuppressed(lookUp);
    return failure.forRequest(requestId);
  }

  private PurchaseResult call(PurchaseRequest request) {
    String eventId = request.getEventId();
    String requestId = request.getRequestId();
    Deadline end = endFromNow();
    try {
      PurchaseResponse response = blockingStub.withDeadline(callEnd(end)).purchase(request);
      return new PurchaseResult.Decided(response.getDecision());
    } catch (StatusRuntimeException e) {
      FlashSaleException failure = FlashSaleException.from(e);
      if (ranOutOfTime(failure)) return lookUpAfterDeadline(eventId, requestId, end, e);
      throw failure.forRequest(requestId);
    }
  }

  /** {@link #purchase(String, String, String, int)} without blocking, for many calls in flight. */
  public CompletableFuture<PurchaseResult> purchaseAsync(
      String eventId, String userId, String requestId, int quantity) {
    return purchaseAsync(request(eventId, userId, requestId, quantity));
  }

  /**
   * Sends one purchase as it is (a reservation's slots included) without blocking; a deadline
   * exceeded is looked up with {@code GetPurchase} as the blocking calls do. Cancelling the future
   * (or its completing exceptionally otherwise, e.g. {@code orTimeout}) cancels the call, not the
   * purchase: one the region already stamped may still be decided, so look it up, or retry it,
   * under the same request id, never a new one.
   */
  public CompletableFuture<PurchaseResult> purchaseAsync(PurchaseRequest request) {
    Calls.Observer<PurchaseResponse> call = new Calls.Observer<>();
    Deadline end = endFromNow();
    asyncStub.withDeadline(callEnd(end)).purchase(request, call);
    CompletableFuture<PurchaseResult> result = call.<PurchaseResult>thenApply(r -> new PurchaseResult.Decided(r.getDecision()))
        .exceptionallyCompose(
            t -> {
              FlashSaleException failure = FlashSaleException.from(t);
              if (!ranOutOfTime(failure)) {
                return CompletableFuture.failedFuture(failure.forRequest(request.getRequestId()));
              }
              return getPurchaseAsync(request.getEventId(), request.getRequestId(), end).exceptionallyCompose(lookUp ->
                  CompletableFuture.failedFuture(notReceived(request.getEventId(), request.getRequestId(),
                      FlashSaleException.from(lookUp), t)));
            });
    // A caller that gives up (cancel, its own timeout) ends the call too: the region stops holding
    // it for an answer. The purchase itself may still be decided: look it up under the same id.
    result.whenComplete((r, t) -> {
      if (t != null && !call.isDone()) call.cancel(true);
    });
    return result;
  }

  /**
   * Opens a stream for many purchases at once (a backend buying for many buyers): a pending
   * purchase then costs the region a few hundred bytes instead of a gRPC call of its own. The
   * stream may stay open up to {@code maxOpen}, reopened as {@link ReopenPolicy#DEFAULT} says if it
   * breaks with {@code UNAVAILABLE}; close it when done.
   */
  public PurchaseStream openPurchaseStream(Duration maxOpen) {
    return openPurchaseStream(maxOpen, ReopenPolicy.DEFAULT);
  }

  /**
   * As {@link #openPurchaseStream(Duration)}, reopening a broken stream as {@code reopen} says
   * ({@link ReopenPolicy#NEVER}: never). {@code maxOpen} bounds the reopened streams too.
   */
  public PurchaseStream openPurchaseStream(Duration maxOpen, ReopenPolicy reopen) {
    if (maxOpen.isNegative() || maxOpen.isZero()) throw new IllegalArgumentException("maxOpen must be positive, got " + maxOpen);
    PurchaseStream stream = new PurchaseStream(asyncStub.withDeadlineAfter(maxOpen.toNanos(), TimeUnit.NANOSECONDS),
        reopen, () -> ThreadLocalRandom.current().nextDouble());
    stream.start();
    return stream;
  }

  /**
   * The raw {@code Purchase} call with this client's deadline and no fallback, as a Guava future;
   * failures are {@link StatusRuntimeException}s.
   */
  public ListenableFuture<PurchaseResponse> purchaseFuture(PurchaseRequest request) {
    return Calls.withDeadline(futureStub, deadline).purchase(request);
  }

  /** Where a purchase stands: pending at the region, or decided. */
  public PurchaseResult getPurchase(String eventId, String requestId) {
    return getPurchase(eventId, requestId, endFromNow());
  }

  private PurchaseResult getPurchase(String eventId, String requestId, Deadline end) {
    GetPurchaseRequest request =
        GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    GetPurchaseResponse response = Calls.blocking(() -> blockingStub.withDeadline(end).getPurchase(request));
    return PurchaseResult.fromProto(eventId, requestId, response);
  }

  /** {@link #getPurchase(String, String)} without blocking. */
  public CompletableFuture<PurchaseResult> getPurchaseAsync(String eventId, String requestId) {
    return getPurchaseAsync(eventId, requestId, endFromNow());
  }

  private CompletableFuture<PurchaseResult> getPurchaseAsync(String eventId, String requestId, Deadline end) {
    Calls.Observer<GetPurchaseResponse> call = new Calls.Observer<>();
    asyncStub.withDeadline(end)
        .getPurchase(
            GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build(), call);
    return call.thenApply(r -> PurchaseResult.fromProto(eventId, requestId, r));
  }

  /**
   * Follows a purchase at this region until nothing about it can change any more: paid,
   * cancelled, expired, not waitlisted, lost for another reason than stock, or decided in an event
   * without a payment window. {@code onChange} gets each state as the region pushes it (the first
   * at once, on this thread); the last one is returned. A purchase pending here is followed from
   * pending on. A stream the node cuts (UNAVAILABLE after it was heard) is opened again, and a
   * state is handed over once. An exception thrown by {@code onChange} ends the watch (and is
   * thrown on).
   *
   * @param maxWait the longest this call blocks (a payment window may take minutes); a
   *     FlashSaleException with DEADLINE_EXCEEDED when it passes first
   * @throws FlashSaleException when the region refuses the watch (unknown event or purchase,
   *     PURCHASE_PENDING at another region) or cannot be reached
   */
  public PurchaseResult watchPurchase(String eventId, String requestId, Duration maxWait,
      java.util.function.Consumer<PurchaseResult> onChange) {
    if (maxWait.isNegative() || maxWait.isZero()) throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
    WatchPurchaseRequest request = WatchPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    return follow(maxWait, onChange,
        timeLeftNanos -> blockingStub.withDeadlineAfter(timeLeftNanos, TimeUnit.NANOSECONDS).watchPurchase(request),
        message -> PurchaseResult.fromProto(eventId, requestId, message), now -> false,
        "WatchPurchase of " + requestId, false);
  }

  /**
   * The watch loop of {@link #watchPurchase} and {@link #watchBid}: opens a stream (given the time
   * left, in nanoseconds), hands each new state to {@code onChange} once (a re-opened stream starts
   * with the state already handed over), returns the last state once the stream ends or
   * {@code settled} says so, and opens a stream the node cut again while time is left.
   * Leaving early (onChange threw, or settled) cancels the stream rather than leaving it open.
   *
   * @param lastOnTimeout true to return the last state when {@code maxWait} runs out, rather than
   *     fail with DEADLINE_EXCEEDED
   */
  private <M, T> T follow(Duration maxWait, java.util.function.Consumer<T> onChange,
      java.util.function.LongFunction<java.util.Iterator<M>> open, java.util.function.Function<M, T> state,
      java.util.function.Predicate<T> settled, String what, boolean lastOnTimeout) {
    long endNanos = System.nanoTime() + maxWait.toNanos();
    T last = null;
    int refusedReopens = 0;
    while (true) {
      Context.CancellableContext scope = Context.current().withCancellation();
      Context previous = scope.attach();
      boolean heard = false;
      try {
        java.util.Iterator<M> stream = open.apply(Math.max(1, endNanos - System.nanoTime()));
        while (stream.hasNext()) {
          T now = state.apply(stream.next());
          heard = true;
          if (!now.equals(last)) {
            last = now;
            T handedOver = now;
            // Outside the stream's context: a call onChange starts must outlive the watch.
            try {
              previous.run(() -> onChange.accept(handedOver));
            } catch (RuntimeException e) {
              throw new OnChangeThrew(e); // ends the watch, never read as the stream's own failure
            }
          }
          if (settled.test(now)) return now;
        }
        if (last == null) throw new IllegalStateException(what + " ended without a message");
        return last;
      } catch (OnChangeThrew e) {
        throw e.thrown;
      } catch (StatusRuntimeException e) {
        if (lastOnTimeout && last != null) {
          Status.Code code = e.getStatus().getCode();
          // maxWait ran out first, on the stream or just as the node cut it: the state as last seen.
          boolean outOfTime = System.nanoTime() - endNanos >= 0;
          if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.UNAVAILABLE && outOfTime) return last;
        }
        // A stream the node cut (its connection grew old, it restarted) is opened again: it starts
        // with the current state, so nothing is missed. A node that refuses a new one is an error.
        refusedReopens = heard ? 0 : refusedReopens + 1;
        // Only a cut is reopened (UNAVAILABLE after the watch was heard), and only while time is left:
        // a node that restarts (its JVM, its warm-up) is unreachable for seconds, and maxWait says how
        // long to wait for it.
        boolean cut = e.getStatus().getCode() == Status.Code.UNAVAILABLE && last != null;
        if (!cut) throw FlashSaleException.from(e);
        if (System.nanoTime() - endNanos >= 0) {
          // Given up for time, not for the refusal: the same answer as a reopen whose deadline ran out.
          throw new FlashSaleException(Status.Code.DEADLINE_EXCEEDED, "", what + " not settled within maxWait: the node"
              + " cut the stream and could not be reached again in time", e);
        }
      } finally {
        scope.detach(previous);
        scope.cancel(null);
      }
      pause(reopenDelayNanos(refusedReopens, endNanos));
    }
  }

  /** {@link #WATCH_REOPEN_DELAY} times the refusals so far plus one, at most {@link #MAX_WATCH_REOPEN_DELAY} and the time left. */
  private static long reopenDelayNanos(int refusedReopens, long endNanos) {
    long delay = Math.min(WATCH_REOPEN_DELAY.toNanos() * (1 + (long) refusedReopens), MAX_WATCH_REOPEN_DELAY.toNanos());
    return Math.min(delay, Math.max(0, endNanos - System.nanoTime()));
  }

  /** What the caller's onChange threw, carried past the catch of the stream's own failures. */
  private static final class OnChangeThrew extends RuntimeException {
    final RuntimeException thrown;

    OnChangeThrew(RuntimeException thrown) {
      super(null, null, false, false);
      this.thrown = thrown;
    }
  }

  /** Wait before opening a cut watch again (times the refusals so far plus one). */
  static final Duration WATCH_REOPEN_DELAY = Duration.ofMillis(200);
  /** The longest wait between two tries to open a cut watch again. */
  static final Duration MAX_WATCH_REOPEN_DELAY = Duration.ofSeconds(2);

  private static void pause(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlashSaleException(Status.Code.CANCELLED, "", "interrupted while re-opening a watch", e);
    }
  }

  /**
   * Where a decided bid stands now: read from the auction as the region shows it ({@code GetEvent}).
   *
   * @throws IllegalArgumentException when {@code bid} is no auction bid
   */
  public BidStanding bidStanding(flashsale.v1.PurchaseDecision bid) {
    GetEventResponse event = getEvent(bid.getEventId());
    return BidStanding.of(bid, event.getAuction(), event.getEvent().getAuction().getUnits());
  }

  /**
   * Follows a decided bid until it is settled (won or lost at the close, or pushed out before it),
   * telling {@code onChange} each new standing, the first at once; returns the last one, which is
   * {@link BidStanding#STANDING} only when {@code maxWait} ran out first. A stream the node cuts
   * (UNAVAILABLE after it was heard) is opened again, as {@link #watchPurchase} does, and a standing
   * is handed over once.
   */
  public BidStanding watchBid(flashsale.v1.PurchaseDecision bid, Duration maxWait,
      java.util.function.Consumer<BidStanding> onChange) {
    if (maxWait.isNegative() || maxWait.isZero()) throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
    long startNanos = System.nanoTime();
    // The auction's units are read inside maxWait, not beside it: a slow read must not stretch the watch.
    Duration readFor = deadline.compareTo(maxWait) < 0 ? deadline : maxWait;
    GetEventRequest read = GetEventRequest.newBuilder().setEventId(bid.getEventId()).build();
    int units = Calls.blocking(() -> Calls.withDeadline(blockingStub, readFor).getEvent(read)).getEvent().getAuction().getUnits();
    Duration left = maxWait.minusNanos(System.nanoTime() - startNanos);
    var request = flashsale.v1.WatchAuctionRequest.newBuilder().setEventId(bid.getEventId()).build();
    return follow(left.isNegative() || left.isZero() ? Duration.ofNanos(1) : left, onChange,
        timeLeftNanos -> blockingStub.withDeadlineAfter(timeLeftNanos, TimeUnit.NANOSECONDS).watchAuction(request),
        message -> BidStanding.of(bid, message.getAuction(), units), BidStanding::settled,
        "WatchAuction of " + bid.getEventId(), true);
  }

  /** The public view of an event: its definition, state and sold-out time. */
  public GetEventResponse getEvent(String eventId) {
    GetEventRequest request = GetEventRequest.newBuilder().setEventId(eventId).build();
    return Calls.blocking(() -> Calls.withDeadline(blockingStub, deadline).getEvent(request));
  }

  /** A fresh idempotency key (a random UUID). */
  public static String newRequestId() {
    return UUID.randomUUID().toString();
  }

  private static PurchaseRequest request(
      String eventId, String userId, String requestId, int quantity) {
    return PurchaseRequest.newBuilder()
        .setEventId(eventId)
        .setUserId(userId)
        .setRequestId(requestId)
        .setQuantity(quantity)
        .build();
  }
}
