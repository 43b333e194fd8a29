package flashsale.arbiter.grpc;

import flashsale.arbiter.events.BlockingStoreCalls;

import flashsale.arbiter.core.NotLeaderException;
import flashsale.arbiter.core.orders.OrderAnswer;
import flashsale.arbiter.core.orders.OrderRunner;
import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.ErrorReason;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.CancelPurchaseResponse;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.ConfirmPaymentResponse;
import flashsale.v1.GetOrderRequest;
import flashsale.v1.GetOrderResponse;
import flashsale.v1.Order;
import flashsale.v1.OrderServiceGrpc;
import flashsale.wire.Errors;
import flashsale.wire.EventValidator;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The order API (after the win): translates calls to the event's {@link
 * flashsale.arbiter.core.orders.OrderBook} on the loop and its answers (given once stored) to
 * statuses. A purchase the book does not hold is looked up in the store, so the status says why:
 * never decided (NOT_FOUND), lost (NOT_A_WIN), or settled after the sale (its stored state).
 */
public final class OrderGrpcService extends OrderServiceGrpc.OrderServiceImplBase {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OrderGrpcService.class);
  private final ArbiterStore events;
  private final OrderStore orders;
  private final SequencerLoop loop;
  private final OrderRunner runner;
  private final DecisionOrders stored;

  public OrderGrpcService(ArbiterStore events, OrderStore orders, SequencerLoop loop, OrderRunner runner) {
    this.events = events;
    this.orders = orders;
    this.loop = loop;
    this.runner = runner;
    this.stored = new DecisionOrders(orders, loop, runner);
  }

  @Override
  public void confirmPayment(ConfirmPaymentRequest request, StreamObserver<ConfirmPaymentResponse> out) {
    change(request.getEventId(), request.getRequestId(), PurchaseState.PAID,
        order -> respond(out, ConfirmPaymentResponse.newBuilder().setOrder(order).build()), out::onError);
  }

  @Override
  public void cancelPurchase(CancelPurchaseRequest request, StreamObserver<CancelPurchaseResponse> out) {
    change(request.getEventId(), request.getRequestId(), PurchaseState.CANCELLED,
        order -> respond(out, CancelPurchaseResponse.newBuilder().setOrder(order).build()), out::onError);
  }

  @Override
  public void getOrder(GetOrderRequest request, StreamObserver<GetOrderResponse> out) {
    String eventId = request.getEventId();
    String requestId = request.getRequestId();
    try {
      requireIds(eventId, requestId);
    } catch (RuntimeException e) {
      out.onError(Failures.toStatus(e));
      return;
    }
    // From the store, never the book: the book may hold a change whose write is not durable yet,
    // and nothing is told before it is stored. GetDecision's reading (DecisionOrders) also says
    // whether a loser for stock is off the waitlist for good or still being written. Every read
    // off the gRPC thread, the event's and its terms' too: a stalled store holds no platform thread.
    CompletableFuture.supplyAsync(() -> {
      requireOrders(eventId, requestId);
      return events.findDecision(eventId, requestId);
    }, BlockingStoreCalls.EXECUTOR).thenCompose(decision -> {
      if (decision.isEmpty()) return CompletableFuture.completedFuture(Optional.<Order>empty());
      return stored.describe(decision.get(), flashsale.v1.GetDecisionResponse.getDefaultInstance()).thenApply(d -> {
        if (d.hasOrder() && d.getOrder().getState() != flashsale.v1.OrderState.ORDER_STATE_NOT_WAITLISTED) {
          return Optional.of(d.getOrder());
        }
        if (!d.hasOrder() && !decision.get().won() && flashsale.arbiter.core.orders.OrderBook.lostForStock(decision.get())) {
          throw Errors.error(ErrorReason.NOT_LEADER, "the order of " + requestId + " is being recorded; retry",
              Map.of("event_id", eventId, "request_id", requestId));
        }
        return Optional.<Order>empty();
      });
    }).thenApply(order -> order.orElseThrow(() -> withoutOrder(eventId, requestId, true)))
        .whenComplete((order, error) -> {
          // withoutOrder reads the store, so it runs in the chain, not here: thrown in whenComplete,
          // its failure was dropped and the call hung until the client's deadline.
          if (error != null) out.onError(Failures.toStatus(error));
          else respond(out, GetOrderResponse.newBuilder().setOrder(order).build());
        });
  }

  private void change(String eventId, String requestId, PurchaseState wanted, Consumer<Order> done,
      Consumer<Throwable> failed) {
    requireIds(eventId, requestId);
    // Straight to the book (a confirm racing its deadline should not wait on store reads first);
    // the store is asked only when the book is not here.
    CompletableFuture<OrderAnswer> answered = new CompletableFuture<>();
    boolean taken = loop.offer(() -> {
      try {
        runner.apply(eventId, requestId, (book, effects) -> wanted == PurchaseState.PAID
            ? book.confirm(requestId, runner.nowMicros(), effects)
            : book.cancel(requestId, runner.nowMicros(), effects)).whenComplete((a, e) -> {
              if (e != null) answered.completeExceptionally(e); else answered.complete(a);
            });
      } catch (Throwable e) {
        log.error("order call failed event={} request={}", eventId, requestId, e);
        answered.completeExceptionally(e); // a book's own check failed: answered INTERNAL, never left hanging
        if (e instanceof VirtualMachineError fatal) throw fatal;
      }
    });
    // A stopping node's loop takes no task: answered from the store (or retry elsewhere), never left hanging.
    if (!taken) answered.completeExceptionally(new NotLeaderException("this arbiter is stopping"));
    answered.whenCompleteAsync((answer, error) -> {
      try {
        if (error != null && unwrap(error) instanceof NotLeaderException) {
          requireOrders(eventId, requestId);
          done.accept(fromStore(eventId, requestId, wanted)); // not held here: settled after the sale, or loading
        } else if (error != null) {
          failed.accept(Failures.toStatus(error));
        } else if (answer.outcome() == OrderAnswer.Outcome.UNKNOWN) {
          failed.accept(withoutOrder(eventId, requestId, false));
        } else {
          OrderRecord record = answer.order().orElseThrow();
          if (!answer.done()) throw refusal(wanted, record);
          done.accept(toProto(eventId, record));
        }
      } catch (RuntimeException e) {
        failed.accept(Failures.toStatus(e));
      }
    }, BlockingStoreCalls.EXECUTOR);
  }

  /** The stored state of a purchase whose book is not held here: final states answer, the rest retry. */
  private Order fromStore(String eventId, String requestId, PurchaseState wanted) {
    Optional<OrderRecord> stored = orders.findOrder(eventId, requestId);
    if (stored.isEmpty()) throw withoutOrder(eventId, requestId, false);
    if (!stored.get().state().isFinal()) throw new NotLeaderException("the order book of " + eventId + " is loading");
    if (stored.get().state() != wanted) throw refusal(wanted, stored.get());
    return toProto(eventId, stored.get());
  }

  private static void requireIds(String eventId, String requestId) {
    // Checked as CreateEvent checks it: a malformed id never reaches the store or, whole, an answer.
    EventValidator.requireId("event_id", eventId);
    EventValidator.requireRequestId("request_id", requestId);
  }

  private void requireOrders(String eventId, String requestId) {
    requireIds(eventId, requestId);
    if (events.findEvent(eventId).isEmpty()) {
      throw Errors.error(ErrorReason.EVENT_NOT_FOUND, "event " + eventId + " does not exist", Map.of("event_id", eventId));
    }
    if (orders.findTerms(eventId).isEmpty()) {
      throw Errors.error(ErrorReason.NO_PAYMENT_WINDOW, "event " + eventId + " has no payment window: its wins are final",
          Map.of("event_id", eventId));
    }
  }

  /** Why a purchase is in no order: never decided, or lost (for lack of stock past the waitlist, or otherwise). */
  private StatusRuntimeException withoutOrder(String eventId, String requestId, boolean lookup) {
    Optional<Decision> decision = events.findDecision(eventId, requestId);
    Map<String, String> where = Map.of("event_id", eventId, "request_id", requestId);
    if (decision.isEmpty()) {
      return Errors.error(ErrorReason.PURCHASE_NOT_FOUND, "no decided purchase " + requestId + " in event " + eventId, where);
    }
    if (decision.get().won()) { // a win the book has not enrolled yet
      return Errors.error(ErrorReason.NOT_LEADER, "the order of " + requestId + " is being recorded; retry", where);
    }
    if (!lookup && flashsale.arbiter.core.orders.OrderBook.lostForStock(decision.get())) {
      // A loser for stock that its book has not enrolled yet (a new leader's book loading, a book
      // read again after a refused write, a batch just stored) is not "off the waitlist": only what
      // is stored as past the waitlist's bound, or as enrolled past its rank, is (as GetOrder reads it).
      var described = stored.describe(decision.get(), flashsale.v1.GetDecisionResponse.getDefaultInstance()).join();
      if (!described.hasOrder() || described.getOrder().getState() != flashsale.v1.OrderState.ORDER_STATE_NOT_WAITLISTED) {
        return Errors.error(ErrorReason.NOT_LEADER, "the order of " + requestId + " is being recorded; retry", where);
      }
    }
    String why = "purchase " + requestId + " lost (" + decision.get().lossReason() + ")"
        + (lookup ? "" : ": there is nothing to pay or cancel") + " and is not on the waitlist";
    return Errors.error(ErrorReason.NOT_A_WIN, why, where);
  }

  private static StatusRuntimeException refusal(PurchaseState wanted, OrderRecord record) {
    Map<String, String> where = Map.of("request_id", record.requestId(), "state", record.state().name());
    String verb = wanted == PurchaseState.PAID ? "confirm" : "cancel";
    return switch (record.state()) {
      case EXPIRED -> Errors.error(ErrorReason.PAYMENT_EXPIRED, "cannot " + verb + " " + record.requestId()
          + ": its payment deadline " + java.time.Instant.EPOCH.plus(record.deadlineMicros(), java.time.temporal.ChronoUnit.MICROS)
          + " passed; the units moved on", where);
      case CANCELLED -> Errors.error(ErrorReason.PURCHASE_CANCELLED, "cannot " + verb + " " + record.requestId()
          + ": it was cancelled", where);
      case PAID -> Errors.error(ErrorReason.ALREADY_PAID, "cannot cancel " + record.requestId() + ": it is paid", where);
      default -> Errors.error(ErrorReason.NOT_A_WIN, "cannot " + verb + " " + record.requestId() + ": it is "
          + record.state() + ", not awaiting payment", where);
    };
  }

  static Order toProto(String eventId, OrderRecord r) {
    return flashsale.wire.OrderWire.toProto(eventId, r);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static <T> void respond(StreamObserver<T> out, T response) {
    out.onNext(response);
    out.onCompleted();
  }
}
