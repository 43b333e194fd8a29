package flashsale.client;

import com.google.common.util.concurrent.ListenableFuture;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetEventResponse;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Buys from a region node's {@code FlashSaleService}. Every call has a deadline; when a purchase
 * runs out of time before the arbiter decides, the client asks {@code GetPurchase} with the same
 * request id and returns {@link PurchaseResult.Pending} or the decision, never a duplicate buy.
 * Thread-safe; share one instance per channel.
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

  /** A client whose every call (and each fallback lookup) must finish within {@code deadline}. */
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

  /** Buys {@code quantity} units under a fresh random request id. */
  public PurchaseResult purchase(String eventId, String userId, int quantity) {
    return purchase(eventId, userId, newRequestId(), quantity);
  }

  /**
   * Buys {@code quantity} units (all or nothing). Retrying with the same {@code requestId} returns
   * the first decision.
   *
   * @throws FlashSaleException when the server refuses the request or cannot be reached
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

  private PurchaseResult call(PurchaseRequest request) {
    String eventId = request.getEventId();
    String requestId = request.getRequestId();
    try {
      PurchaseResponse response = Calls.withDeadline(blockingStub, deadline).purchase(request);
      return new PurchaseResult.Decided(response.getDecision());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        return getPurchase(eventId, requestId);
      }
      throw FlashSaleException.from(e);
    }
  }

  /** {@link #purchase(String, String, String, int)} without blocking, for many calls in flight. */
  public CompletableFuture<PurchaseResult> purchaseAsync(
      String eventId, String userId, String requestId, int quantity) {
    Calls.Observer<PurchaseResponse> call = new Calls.Observer<>();
    Calls.withDeadline(asyncStub, deadline).purchase(request(eventId, userId, requestId, quantity), call);
    return call.<PurchaseResult>thenApply(r -> new PurchaseResult.Decided(r.getDecision()))
        .exceptionallyCompose(
            t -> {
              FlashSaleException failure = FlashSaleException.from(t);
              return failure.code() == Status.Code.DEADLINE_EXCEEDED
                  ? getPurchaseAsync(eventId, requestId)
                  : CompletableFuture.failedFuture(failure);
            });
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
    GetPurchaseRequest request =
        GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build();
    GetPurchaseResponse response =
        Calls.blocking(() -> Calls.withDeadline(blockingStub, deadline).getPurchase(request));
    return PurchaseResult.fromProto(eventId, requestId, response);
  }

  /** {@link #getPurchase(String, String)} without blocking. */
  public CompletableFuture<PurchaseResult> getPurchaseAsync(String eventId, String requestId) {
    Calls.Observer<GetPurchaseResponse> call = new Calls.Observer<>();
    Calls.withDeadline(asyncStub, deadline)
        .getPurchase(
            GetPurchaseRequest.newBuilder().setEventId(eventId).setRequestId(requestId).build(), call);
    return call.thenApply(r -> PurchaseResult.fromProto(eventId, requestId, r));
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
