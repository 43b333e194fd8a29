package flashsale.client.fakes;

import flashsale.client.ProtoTimes;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.CreateEventResponse;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGetEventResponse;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventCounters;
import flashsale.v1.EventState;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.ListDecisionsResponse;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.ListRegionsResponse;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.RegionStatus;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** An arbiter's admin API for tests, over the same {@link FakeLedger} the fake regions decide in. */
public final class FakeAdmin extends EventAdminServiceGrpc.EventAdminServiceImplBase {
  private final FakeLedger ledger;
  private final AtomicInteger listDecisionCalls = new AtomicInteger();

  public FakeAdmin(FakeLedger ledger) {
    this.ledger = ledger;
  }

  public int listDecisionCalls() {
    return listDecisionCalls.get();
  }

  @Override
  public void createEvent(CreateEventRequest request, StreamObserver<CreateEventResponse> response) {
    if (request.getEvent().getStock() <= 0) {
      response.onError(Errors.error(ErrorReason.INVALID_FIELD, "stock must be positive, got " + request.getEvent().getStock()));
      return;
    }
    Optional<Event> created = ledger.create(request.getRequestId(), request.getEvent());
    if (created.isEmpty()) {
      String eventId = request.getEvent().getEventId();
      response.onError(Errors.error(ErrorReason.EVENT_EXISTS, "event " + eventId + " exists", java.util.Map.of("event_id", eventId)));
      return;
    }
    if (ledger.createsUnanswered()) return; // stored; the caller's deadline ends the call
    response.onNext(CreateEventResponse.newBuilder().setEvent(created.get()).build());
    response.onCompleted();
  }

  @Override
  public void getEvent(EventAdminServiceGetEventRequest request, StreamObserver<EventAdminServiceGetEventResponse> response) {
    Optional<Event> event = ledger.event(request.getEventId());
    if (event.isEmpty()) {
      response.onError(FakeLedger.eventNotFound(request.getEventId()));
      return;
    }
    List<PurchaseDecision> log = ledger.log(request.getEventId());
    long wins = log.stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_WON).count();
    long remaining = ledger.remaining(request.getEventId());
    response.onNext(EventAdminServiceGetEventResponse.newBuilder()
        .setEvent(event.get())
        .setState(remaining == 0 ? EventState.EVENT_STATE_SOLD_OUT : EventState.EVENT_STATE_OPEN)
        .setCounters(EventCounters.newBuilder().setRemainingStock(remaining)
            .setUnitsSold(event.get().getStock() - remaining).setDecisions(log.size())
            .setWins(wins).setLosses(log.size() - wins))
        .build());
    response.onCompleted();
  }

  @Override
  public void listDecisions(ListDecisionsRequest request, StreamObserver<ListDecisionsResponse> response) {
    listDecisionCalls.incrementAndGet();
    List<PurchaseDecision> log = ledger.log(request.getEventId());
    int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
    int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
    int to = Math.min(log.size(), from + size);
    response.onNext(ListDecisionsResponse.newBuilder()
        .addAllDecisions(log.subList(from, to))
        .setNextPageToken(to < log.size() ? Integer.toString(to) : "")
        .build());
    response.onCompleted();
  }

  @Override
  public void listRegions(ListRegionsRequest request, StreamObserver<ListRegionsResponse> response) {
    response.onNext(ListRegionsResponse.newBuilder()
        .addRegions(RegionStatus.newBuilder().setRegion("near").setConnected(true)
            .setWatermarkTime(ProtoTimes.timestamp(Instant.now()))
            .setClockOffset(com.google.protobuf.Duration.newBuilder().setNanos(250_000))
            .setClockRoundTrip(com.google.protobuf.Duration.newBuilder().setNanos(1_000_000)))
        .addRegions(RegionStatus.newBuilder().setRegion("far").setConnected(false).setClockFlagged(true))
        .build());
    response.onCompleted();
  }
}
