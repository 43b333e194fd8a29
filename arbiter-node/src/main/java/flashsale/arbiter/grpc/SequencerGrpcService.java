package flashsale.arbiter.grpc;

import flashsale.arbiter.events.BlockingStoreCalls;

import flashsale.arbiter.events.EventRegistry;
import flashsale.security.AuthInterceptor;
import flashsale.v1.ArbiterWelcome;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.LookupEventRequest;
import flashsale.v1.PendingTicket;
import flashsale.v1.LookupEventResponse;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.sale.ErrorReason;
import flashsale.sale.Ticket;
import flashsale.wire.Errors;
import flashsale.wire.EventValidator;
import flashsale.wire.Times;
import flashsale.wire.WireMapping;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The internal region-facing API: region streams and the two lookups regions fall back on. */
public final class SequencerGrpcService extends SequencerServiceGrpc.SequencerServiceImplBase {
  private final SequencerLoop loop;
  private final flashsale.store.ArbiterStore store;
  private final RegionSessions sessions;
  private final EventRegistry events;
  /** Registry first, then the store (see {@link flashsale.arbiter.events.EventCatalog#findOrLoad}). */
  private final java.util.function.Function<String, java.util.Optional<flashsale.sale.EventSpec>> eventLoader;
  /** A decision's order after the win; null when the store keeps no orders. */
  private final DecisionOrders orders;
  private final flashsale.security.Authenticator authenticator; // null: development

  public SequencerGrpcService(
      SequencerLoop loop,
      flashsale.store.ArbiterStore store,
      RegionSessions sessions,
      EventRegistry events,
      ArbiterWelcome welcome,
      java.util.function.Function<String, java.util.Optional<flashsale.sale.EventSpec>> eventLoader) {
    this(loop, store, sessions, events, welcome, eventLoader, null, null, null);
  }

  /**
   * As above; GetDecision also says where a decision's order stands, as {@code orderStore} holds it,
   * and a region's stream ends once {@code authenticator} no longer trusts its certificate (null:
   * development, nothing checked).
   */
  public SequencerGrpcService(
      SequencerLoop loop,
      flashsale.store.ArbiterStore store,
      RegionSessions sessions,
      EventRegistry events,
      ArbiterWelcome welcome,
      java.util.function.Function<String, java.util.Optional<flashsale.sale.EventSpec>> eventLoader,
      flashsale.store.OrderStore orderStore,
      flashsale.arbiter.core.orders.OrderRunner orderRunner,
      flashsale.security.Authenticator authenticator) {
    this.authenticator = authenticator;
    this.orders = orderStore == null ? null : new DecisionOrders(orderStore, loop, orderRunner);
    this.eventLoader = eventLoader;
    this.loop = loop;
    this.store = store;
    this.sessions = sessions;
    this.events = events;
    sessions.welcomeWith(welcome); // each node's welcome adds its stamp floor
  }

  @Override
  public StreamObserver<SequenceRequest> sequence(StreamObserver<SequenceResponse> out) {
    return new RegionStream(out, loop, sessions, events, AuthInterceptor.current(),
        authenticator == null ? null : new RegionStream.CallerTrust(authenticator, AuthInterceptor.currentPeerChain()));
  }

  @Override
  public void getDecision(GetDecisionRequest request, StreamObserver<GetDecisionResponse> out) {
    EventValidator.requireId("event_id", request.getEventId());
    EventValidator.requireRequestId("request_id", request.getRequestId());
    String eventId = request.getEventId();
    String requestId = request.getRequestId();
    // The store holds every durable decision, of live and finished events alike: one hash read.
    if (answeredFromStore(eventId, requestId, out)) return;
    // Not stored: the sequencer may still hold it undecided, e.g. for a region that restarted.
    // Off the loop's thread: the second store read below blocks.
    long nowMicros = loop.nowMicros();
    loop.query(s -> new Held(s.pendingTicket(eventId, requestId), s.mayStillSendInWindow(eventId, nowMicros)))
        .whenCompleteAsync((held, failure) -> {
          if (failure != null) {
            out.onError(Failures.toStatus(failure));
            return;
          }
          if (held.ticket().isPresent()) {
            Ticket ticket = held.ticket().get();
            out.onNext(GetDecisionResponse.newBuilder().setPending(PendingTicket.newBuilder()
                .setArrivalTime(Times.timestamp(ticket.stampMicros())).setRegion(ticket.region())).build());
            out.onCompleted();
            return;
          }
          // Its batch may have been stored between the first read and the query: the loop forgets
          // a ticket only once the store holds its decision, so a second read finds it.
          try {
            if (answeredFromStore(eventId, requestId, out)) return;
          } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e);
            return;
          }
          if (!held.mayStillSend().isEmpty()) {
            // A retry after the end of a ticket its region holds while cut off, say: "not found"
            // reads as final (EVENT_ENDED), and that ticket could still win once it comes.
            out.onError(Errors.error(ErrorReason.ARBITER_UNAVAILABLE, "no decision for request_id " + requestId
                + " in event " + eventId + " yet: " + String.join(", ", held.mayStillSend())
                + " (not heard from, short of its close) may still send tickets stamped before it; retry"));
            return;
          }
          out.onError(Errors.error(ErrorReason.PURCHASE_NOT_FOUND,
              "no decision for request_id " + requestId + " in event " + eventId));
        }, BlockingStoreCalls.EXECUTOR);
  }

  /** What the sequencer holds of a request it has no stored decision for. */
  private record Held(Optional<Ticket> ticket, List<String> mayStillSend) {}

  /**
   * Answers {@code out} (now or once the order is read) if the store holds the decision; false if
   * it holds none. A store failure is thrown as its status.
   */
  private boolean answeredFromStore(String eventId, String requestId, StreamObserver<GetDecisionResponse> out) {
    java.util.Optional<flashsale.sale.Decision> decision;
    try {
      decision = store.findDecision(eventId, requestId);
    } catch (RuntimeException e) {
      throw Failures.toStatus(e);
    }
    if (decision.isEmpty()) return false;
    GetDecisionResponse answer = GetDecisionResponse.newBuilder().setDecision(WireMapping.toProto(decision.get())).build();
    CompletableFuture<GetDecisionResponse> withOrder;
    try {
      withOrder = orders == null ? CompletableFuture.completedFuture(answer) : orders.describe(decision.get(), answer);
    } catch (RuntimeException e) {
      throw Failures.toStatus(e);
    }
    withOrder.whenComplete((response, failure) -> {
      if (failure != null) {
        out.onError(Failures.toStatus(failure));
      } else {
        out.onNext(response);
        out.onCompleted();
      }
    });
    return true;
  }

  @Override
  public void lookupEvent(LookupEventRequest request, StreamObserver<LookupEventResponse> out) {
    EventValidator.requireId("event_id", request.getEventId());
    var spec = eventLoader.apply(request.getEventId());
    if (spec.isEmpty()) {
      out.onError(Errors.error(ErrorReason.EVENT_NOT_FOUND, "no event " + request.getEventId()));
      return;
    }
    var response = LookupEventResponse.newBuilder().setEvent(WireMapping.toProto(spec.get()));
    if (!spec.get().slots().isEmpty() || spec.get().auction().isPresent()) {
      try { // one hash read: what the store holds left of each slot, or an auction's standing
        var head = store.loadHead(spec.get().eventId());
        response.addAllSlots(WireMapping.slotStatus(spec.get(), head.remainingBySlot()));
        head.auction().ifPresent(a -> response.setAuction(flashsale.wire.AuctionWire.toProto(a)));
      } catch (RuntimeException e) {
        throw Failures.toStatus(e);
      }
    }
    out.onNext(response.build());
    out.onCompleted();
  }
}
