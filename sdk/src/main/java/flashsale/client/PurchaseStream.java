package flashsale.client;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PurchaseError;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Many purchases (and bids) on one {@code StreamPurchases} stream, for a service that buys on
 * behalf of many buyers: each purchase or bid is stamped and ranked as a Purchase or PlaceBid call
 * is, and its future completes with its decision, or fails with the {@link FlashSaleException} the
 * call would have thrown.
 *
 * <p>If the stream breaks with {@code UNAVAILABLE} (the connection dropped, the region restarted),
 * a new stream is opened on the same channel after a backoff ({@link ReopenPolicy}), and every
 * purchase not yet answered is sent on it again, same request id and content, in the order first
 * sent, followed by those sent meanwhile: the region answers a resent purchase with its one
 * decision, never a second buy. Any other status, the stream's deadline, {@link #cancel()} or
 * running out of reopens fails every unanswered purchase with the status; each stays pending at the
 * region, so send it again with the same request id for the same decision, or look it up with
 * {@link FlashSaleClient#getPurchase}. Thread-safe.
 */
public final class PurchaseStream implements AutoCloseable {
  /** One purchase as the caller sent it; {@code order} says which was sent first. */
  private record Sent(long order, StreamPurchasesRequest message, CompletableFuture<PurchaseResult> future) {}

  /**
   * Opens the reopened streams of every PurchaseStream, after their backoff: one daemon thread,
   * gone when idle. Not the common pool, where a busy application (or a node in the same JVM) may
   * hold the only worker for seconds.
   */
  private static final ScheduledThreadPoolExecutor REOPENER = reopener();

  private final FlashSaleServiceGrpc.FlashSaleServiceStub stub;
  private final Deadline deadline;
  private final ReopenPolicy policy;
  private final DoubleSupplier random;
  private final Object lock = new Object();
  /** Purchases waiting for an answer, by request id (several when one id was sent more than once), oldest first. */
  private final Map<String, ArrayDeque<Sent>> waiting = new HashMap<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  /** The stream purchases go on; null while waiting to reopen. */
  private Attempt current;
  private long sentCount;
  private int opened;
  /**
   * Reopens since the last answer or the last stream that stayed connected for the longest backoff:
   * the backoff's exponent and what the policy bounds. An idle stream that breaks now and then (an
   * hour apart) is reopened every time; one that never connects is given up on.
   */
  private int reopensInRow;
  private FlashSaleException brokenWith;
  private boolean closed;
  private boolean cancelled;
  private volatile Runnable readyHandler = () -> {};

  /**
   * A stream whose calls go through {@code stub}, which carries the deadline of them all; {@code
   * random} spreads the backoffs (a constant, for testing). Call {@link #start()} to open it.
   */
  PurchaseStream(FlashSaleServiceGrpc.FlashSaleServiceStub stub, ReopenPolicy policy, DoubleSupplier random) {
    this.stub = stub;
    this.deadline = Objects.requireNonNull(stub.getCallOptions().getDeadline(), "the stream needs a deadline");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.random = random;
  }

  /** Opens the first stream. */
  void start() {
    open();
  }

  /** Buys {@code quantity} units (all or nothing); retrying with the same {@code requestId} returns the first decision. */
  public CompletableFuture<PurchaseResult> purchase(String eventId, String userId, String requestId, int quantity) {
    return purchase(PurchaseRequest.newBuilder().setEventId(eventId).setUserId(userId).setRequestId(requestId)
        .setQuantity(quantity).build());
  }

  /** Sends one purchase as it is (reservation slots included). */
  public CompletableFuture<PurchaseResult> purchase(PurchaseRequest purchase) {
    return send(purchase.getRequestId(), StreamPurchasesRequest.newBuilder().setPurchase(purchase).build());
  }

  /**
   * Places a bid in an auction, judged as {@code PlaceBid} judges it: the future's decision holds
   * the bid's answer ({@code getBid()}); retrying with the same {@code requestId} returns it again.
   */
  public CompletableFuture<PurchaseResult> bid(String eventId, String userId, String requestId, long amountMinor,
      String currencyCode) {
    return bid(PlaceBidRequest.newBuilder().setEventId(eventId).setUserId(userId).setRequestId(requestId)
        .setAmountMinor(amountMinor).setCurrencyCode(currencyCode).build());
  }

  /** Sends one bid as it is. */
  public CompletableFuture<PurchaseResult> bid(PlaceBidRequest bid) {
    return send(bid.getRequestId(), StreamPurchasesRequest.newBuilder().setBid(bid).build());
  }

  private CompletableFuture<PurchaseResult> send(String requestId, StreamPurchasesRequest message) {
    CompletableFuture<PurchaseResult> future = new CompletableFuture<>();
    synchronized (lock) {
      // The caller's own close first: once the stream ended, brokenWith is set too, and a purchase
      // after close() is the caller's mistake, not a failure of the stream.
      if (closed) throw new IllegalStateException("the stream is closed: no more purchases on it");
      if (brokenWith != null) return CompletableFuture.failedFuture(brokenWith.forRequest(requestId));
      if (cancelled) return CompletableFuture.failedFuture(cancelledByCaller().forRequest(requestId));
      ArrayDeque<Sent> sameId = waiting.get(requestId);
      // The region refuses it at once with only the request id, which would answer the one waiting:
      // refused here instead, unsent. The same content again is a resend, answered with its decision.
      if (sameId != null && !sameId.peek().message().equals(message)) {
        return CompletableFuture.failedFuture(reusedWhileWaiting(requestId));
      }
      Sent sent = new Sent(sentCount++, message, future);
      waiting.computeIfAbsent(requestId, id -> new ArrayDeque<>(1)).add(sent);
      // While reopening it waits in `waiting`, and goes out after the resent ones.
      if (current != null && current.started) current.send(message);
    }
    return future;
  }

  /**
   * Completes when the stream has ended for good: normally once closed and every purchase answered
   * (however the stream then ended: nothing was lost), exceptionally with the status that ended it
   * and was not reopened (INTERNAL when the region ended it OK with purchases unanswered, or before
   * {@link #close()}).
   */
  public CompletableFuture<Void> ended() {
    return ended;
  }

  /**
   * True while the stream takes more purchases without buffering them here: gRPC's {@code isReady}
   * of the stream under way, false while reopening. A caller with many to send can wait for it
   * ({@link #onReady}) rather than buffer without bound: the region stops reading a stream whose
   * answers are not read, and its window then fills.
   */
  public boolean isReady() {
    synchronized (lock) {
      return current != null && current.started && current.requests.isReady();
    }
  }

  /** Runs {@code handler} (on a gRPC thread) whenever the stream, or one reopened, becomes ready; must not block. */
  public void onReady(Runnable handler) {
    this.readyHandler = Objects.requireNonNull(handler, "handler");
  }

  /** How many times a broken stream was replaced by a new one. */
  public int reopenCount() {
    synchronized (lock) {
      return Math.max(0, opened - 1);
    }
  }

  /**
   * Sends no more purchases; the stream ends once every one sent is answered (on a reopened stream
   * if this one breaks first).
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed || cancelled || brokenWith != null) return;
      closed = true;
      // While reopening, the new stream is half-closed once the unanswered purchases are resent.
      if (current != null && current.started) current.requests.onCompleted();
    }
  }

  /**
   * Gives up on the stream now, reopened or not: unanswered purchases fail here (CANCELLED) and
   * stay pending at the region.
   */
  public void cancel() {
    Attempt live;
    synchronized (lock) {
      if (cancelled || brokenWith != null) return;
      cancelled = true;
      live = current != null && current.started ? current : null;
    }
    if (live != null) {
      live.requests.cancel("cancelled by the client", null); // its onError ends the stream
    } else {
      end(cancelledByCaller()); // between streams: the next one will not open
    }
  }

  /** Starts a stream and sends on it every purchase still unanswered, in the order first sent. */
  private void open() {
    Attempt attempt = new Attempt();
    synchronized (lock) {
      if (brokenWith != null) return;
      current = attempt;
      opened++;
    }
    stub.streamPurchases(attempt); // a call that cannot start fails at once, possibly on this thread
    synchronized (lock) {
      if (current == attempt) {
        attempt.started = true;
        List<Sent> unanswered = waiting.values().stream().flatMap(ArrayDeque::stream)
            .sorted(Comparator.comparingLong(Sent::order)).toList();
        for (Sent sent : unanswered) {
          // An answer's callback may run here and cancel, or the new stream may break already.
          if (current != attempt || cancelled) return;
          attempt.send(sent.message());
        }
        if (closed && current == attempt && !cancelled) attempt.requests.onCompleted();
        return;
      }
    }
    // Failed already (a no-op then), or cancelled by the caller while it started.
    attempt.requests.cancel("the purchase stream ended while this stream opened", null);
  }

  private void reopen() {
    try {
      open();
    } catch (RuntimeException e) {
      end(FlashSaleException.from(e)); // else nothing would ever answer the stream's purchases
    }
  }

  private void answered(StreamPurchasesResponse answer) {
    Sent sent;
    synchronized (lock) {
      ArrayDeque<Sent> sameId = waiting.get(answer.getRequestId());
      if (sameId == null) return; // not sent on this stream: nothing waits for it
      sent = sameId.remove();
      if (sameId.isEmpty()) waiting.remove(answer.getRequestId());
      reopensInRow = 0;
    }
    if (answer.hasDecision()) {
      sent.future().complete(new PurchaseResult.Decided(answer.getDecision()));
    } else {
      sent.future().completeExceptionally(failure(answer.getError()).forRequest(answer.getRequestId()));
    }
  }

  private void broke(Attempt attempt, FlashSaleException failure) {
    Duration backoff;
    synchronized (lock) {
      if (current != attempt) return; // an attempt this stream already left behind
      current = null;
      if (attempt.connectedNanos != 0 && System.nanoTime() - attempt.connectedNanos >= policy.maxBackoff().toNanos()) {
        reopensInRow = 0; // it stayed up: this break is a new outage, not the last one going on
      }
      backoff = reopenAfter(failure.code());
      if (backoff != null) reopensInRow++;
    }
    if (backoff == null) {
      end(failure);
    } else {
      REOPENER.schedule(this::reopen, backoff.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * How long to wait before reopening after a stream ended with {@code code}, or null to give up.
   * Only UNAVAILABLE is an outage: the region refuses purchases one by one on the stream, so a whole
   * stream ending otherwise is a bad message, a refused caller, this stream's deadline or a cancel,
   * all of which a resend would meet again. RESOURCE_EXHAUSTED ending a whole stream comes from
   * grpc-java (a message over the size limit), which the same resend exceeds again; the region's
   * own limits refuse single purchases.
   */
  private Duration reopenAfter(Status.Code code) {
    if (code != Status.Code.UNAVAILABLE || cancelled || channelShutDown()) return null;
    if (closed && waiting.isEmpty()) return null; // nothing left to ask for
    if (reopensInRow >= policy.maxReopensInRow()) return null;
    Duration backoff = policy.backoff(reopensInRow + 1, random.getAsDouble());
    // A stream opened after its deadline could only fail DEADLINE_EXCEEDED; the outage says more.
    return deadline.timeRemaining(TimeUnit.NANOSECONDS) > backoff.toNanos() ? backoff : null;
  }

  private boolean channelShutDown() {
    return stub.getChannel() instanceof ManagedChannel channel && channel.isShutdown();
  }

  private void completed(Attempt attempt) {
    synchronized (lock) {
      if (current != attempt) return;
    }
    end(null);
  }

  private void end(FlashSaleException failure) {
    List<Map.Entry<String, Sent>> unanswered = new ArrayList<>();
    FlashSaleException cause = failure != null ? failure
        : new FlashSaleException(Status.Code.INTERNAL, "", "the stream ended with this purchase unanswered", null);
    boolean closedByCaller;
    synchronized (lock) {
      if (brokenWith != null) return;
      brokenWith = cause;
      current = null;
      closedByCaller = closed;
      waiting.forEach((requestId, sameId) -> sameId.forEach(sent -> unanswered.add(Map.entry(requestId, sent))));
      waiting.clear();
    }
    unanswered.forEach(e -> e.getValue().future().completeExceptionally(cause.forRequest(e.getKey())));
    if (closedByCaller && unanswered.isEmpty()) {
      ended.complete(null); // nothing lost, however the stream ended (say its connection dropped before the OK)
    } else if (failure != null) {
      ended.completeExceptionally(failure);
    } else {
      // The region ended it OK, but early: a caller waiting on ended() must not take that for done.
      ended.completeExceptionally(new FlashSaleException(Status.Code.INTERNAL, "", "the region ended the stream with "
          + unanswered.size() + " purchase(s) unanswered" + (closedByCaller ? "" : ", before it was closed"), null));
    }
  }

  private static ScheduledThreadPoolExecutor reopener() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
        runnable -> Thread.ofPlatform().daemon().name("flashsale-purchase-stream-reopen").unstarted(runnable));
    executor.setKeepAliveTime(10, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  private static FlashSaleException cancelledByCaller() {
    return new FlashSaleException(Status.Code.CANCELLED, "", "cancelled by the client", null);
  }

  /** As the region would refuse it (ALREADY_EXISTS REQUEST_ID_REUSED), saying why it was not sent. */
  private static FlashSaleException reusedWhileWaiting(String requestId) {
    return new FlashSaleException(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", "request_id " + requestId
        + " is already waiting on this stream with other content (event, user, quantity, slots or bid): not sent", null)
        .forRequest(requestId);
  }

  private static FlashSaleException failure(PurchaseError error) {
    java.time.Duration retryDelay = error.hasRetryDelay()
        ? java.time.Duration.ofSeconds(error.getRetryDelay().getSeconds(), error.getRetryDelay().getNanos()) : null;
    return new FlashSaleException(Status.fromCodeValue(error.getCode()).getCode(), error.getReason(), error.getMessage(),
        error.getMetadataMap(), retryDelay, null);
  }

  /** One {@code StreamPurchases} call: the stub hands over its request side, then the answers. */
  private final class Attempt implements ClientResponseObserver<StreamPurchasesRequest, StreamPurchasesResponse> {
    private ClientCallStreamObserver<StreamPurchasesRequest> requests;
    /** Started and caught up with the unanswered purchases: new ones go straight out (guarded by lock). */
    private boolean started;
    /**
     * When gRPC first called it ready, so it had a transport (a call made while the channel is still
     * connecting waits out the connect first); 0 before (volatile: set on a gRPC thread).
     */
    private volatile long connectedNanos;

    /** gRPC's stream is not thread-safe: callers hold the lock. */
    void send(StreamPurchasesRequest message) {
      requests.onNext(message);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<StreamPurchasesRequest> requestStream) {
      requests = requestStream;
      requestStream.setOnReadyHandler(() -> {
        if (connectedNanos == 0) connectedNanos = System.nanoTime();
        readyHandler.run();
      });
    }

    @Override
    public void onNext(StreamPurchasesResponse answer) {
      answered(answer);
    }

    @Override
    public void onError(Throwable t) {
      broke(this, FlashSaleException.from(t));
    }

    @Override
    public void onCompleted() {
      completed(this);
    }
  }
}
