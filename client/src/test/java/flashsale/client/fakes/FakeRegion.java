package flashsale.client.fakes;

import flashsale.client.ProtoTimes;
import flashsale.v1.Event;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetEventResponse;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.v1.WatchPurchaseRequest;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.v1.WatchAuctionRequest;
import flashsale.v1.WatchAuctionResponse;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.Optional;

/** A region node for tests: stamps arrivals and decides first come first served from a {@link FakeLedger}. */
public final class FakeRegion extends FlashSaleServiceGrpc.FlashSaleServiceImplBase {
  private final String region;
  private final FakeLedger ledger;

  public FakeRegion(String region, FakeLedger ledger) {
    this.region = region;
    this.ledger = ledger;
  }

  @Override
  public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
    if (ledger.takeUnavailableAttempt()) {
      response.onError(Status.UNAVAILABLE.withDescription("region warming up").asRuntimeException());
      return;
    }
    if (ledger.event(request.getEventId()).isEmpty()) {
      response.onError(FakeLedger.eventNotFound(request.getEventId()));
      return;
    }
    if (ledger.dropped(request.getEventId())) return;
    Instant arrival = Instant.now();
    if (ledger.held(request.getEventId())) {
      // Keep the call open: the client's deadline ends it, as with a slow arbiter.
      ledger.stamp(request, arrival);
      return;
    }
    response.onNext(PurchaseResponse.newBuilder().setDecision(ledger.decide(region, request, arrival)).build());
    response.onCompleted();
  }

  @Override
  public void getPurchase(GetPurchaseRequest request, StreamObserver<GetPurchaseResponse> response) {
    Optional<RuntimeException> refusal = ledger.takeLookUpRefusal();
    if (refusal.isPresent()) {
      response.onError(refusal.get());
      return;
    }
    var decided = ledger.decision(request.getEventId(), request.getRequestId());
    Optional<Instant> arrival = ledger.pendingArrival(request.getEventId(), request.getRequestId());
    if (decided.isPresent()) {
      var orders = ledger.orderHistory(request.getEventId(), request.getRequestId());
      GetPurchaseResponse.Builder shown = GetPurchaseResponse.newBuilder()
          .setState(PurchaseState.PURCHASE_STATE_DECIDED).setDecision(decided.get());
      if (!orders.isEmpty()) shown.setOrder(orders.get(orders.size() - 1));
      response.onNext(shown.build());
    } else if (arrival.isPresent()) {
      response.onNext(GetPurchaseResponse.newBuilder()
          .setState(PurchaseState.PURCHASE_STATE_PENDING)
          .setArrivalTime(ProtoTimes.timestamp(arrival.get())).build());
    } else {
      response.onError(Errors.error(ErrorReason.PURCHASE_NOT_FOUND, "no purchase " + request.getRequestId()));
      return;
    }
    response.onCompleted();
  }

  /** The decision, then each state of its scripted order history, then the end. */
  @Override
  public void watchPurchase(WatchPurchaseRequest request, StreamObserver<WatchPurchaseResponse> response) {
    var decided = ledger.decision(request.getEventId(), request.getRequestId());
    if (decided.isEmpty()) {
      response.onError(Errors.error(ErrorReason.PURCHASE_NOT_FOUND, "no purchase " + request.getRequestId()));
      return;
    }
    WatchPurchaseResponse first = WatchPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_DECIDED)
        .setDecision(decided.get()).build();
    var orders = ledger.orderHistory(request.getEventId(), request.getRequestId());
    boolean cut = ledger.takeWatchCut();
    if (!cut && ledger.takeWatchRefusal()) {
      response.onError(Status.UNAVAILABLE.withDescription("region down").asRuntimeException());
      return;
    }
    if (cut) {
      response.onNext(orders.isEmpty() ? first : first.toBuilder().setOrder(orders.get(0)).build());
      response.onError(Status.UNAVAILABLE.withDescription("connection too old: GOAWAY").asRuntimeException());
      return;
    }
    if (orders.isEmpty()) response.onNext(first);
    for (var order : orders) response.onNext(first.toBuilder().setOrder(order).build());
    if (!ledger.watchesStayOpen()) response.onCompleted();
  }

  @Override
  public void getEvent(GetEventRequest request, StreamObserver<GetEventResponse> response) {
    if (ledger.takeEventReadFailure()) {
      response.onError(Status.UNAVAILABLE.withDescription("region restarting").asRuntimeException());
      return;
    }
    Optional<Event> event = ledger.event(request.getEventId());
    if (event.isEmpty()) {
      response.onError(FakeLedger.eventNotFound(request.getEventId()));
      return;
    }
    GetEventResponse.Builder shown = GetEventResponse.newBuilder().setEvent(event.get());
    if (event.get().hasAuction()) shown.setAuction(ledger.auction(request.getEventId()));
    response.onNext(shown.build());
    response.onCompleted();
  }

  @Override
  public void placeBid(PlaceBidRequest request, StreamObserver<PlaceBidResponse> response) {
    if (ledger.event(request.getEventId()).isEmpty()) {
      response.onError(FakeLedger.eventNotFound(request.getEventId()));
      return;
    }
    response.onNext(PlaceBidResponse.newBuilder().setDecision(ledger.bid(region, request, Instant.now())).build());
    response.onCompleted();
  }

  /** The auction as it is; then the end once it closed, UNAVAILABLE when cut, or nothing while it runs. */
  @Override
  public void watchAuction(WatchAuctionRequest request, StreamObserver<WatchAuctionResponse> response) {
    if (ledger.event(request.getEventId()).isEmpty()) {
      response.onError(FakeLedger.eventNotFound(request.getEventId()));
      return;
    }
    var auction = ledger.auction(request.getEventId());
    response.onNext(WatchAuctionResponse.newBuilder().setAuction(auction).build());
    if (ledger.takeAuctionWatchCut()) {
      response.onError(Status.UNAVAILABLE.withDescription("connection too old: GOAWAY").asRuntimeException());
    } else if (auction.getClosed()) {
      response.onCompleted();
    }
  }
}
