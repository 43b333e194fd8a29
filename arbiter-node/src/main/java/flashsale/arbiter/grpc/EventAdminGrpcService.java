package flashsale.arbiter.grpc;

import flashsale.arbiter.events.EventCatalog;
import flashsale.orders.OrderTerms;
import flashsale.store.StoreRejectedException;
import flashsale.sale.SaleState;
import flashsale.arbiter.core.EventStatus;
import flashsale.arbiter.modes.PoolViews;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.security.AuthInterceptor;
import flashsale.sale.SaleMode;
import flashsale.store.ArbiterStore;
import flashsale.store.EventExistsException;
import flashsale.store.RequestIdReusedException;
import flashsale.store.PoolCounters;
import flashsale.store.PoolExistsException;
import flashsale.store.PoolLostException;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.CreateEventResponse;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGetEventResponse;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventCounters;
import flashsale.v1.EventState;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.ListDecisionsResponse;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.ListRegionsResponse;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import flashsale.wire.EventValidator;
import flashsale.wire.Times;
import flashsale.wire.WireMapping;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.random.RandomGenerator;

/**
 * The operator API: create (through {@link EventCatalog}) and inspect events, read the audit log
 * and the regions' clocks.
 * GLOBAL_ORDER events are read from the sequencer and the arbiter store; CENTRAL and SHARDED
 * events, which the sequencer never sees, from their pools through {@link PoolViews}.
 */
public final class EventAdminGrpcService extends EventAdminServiceGrpc.EventAdminServiceImplBase {
  static final int DEFAULT_PAGE_SIZE = 100;
  static final int MAX_PAGE_SIZE = 1000;

  private final ArbiterStore store;
  private final SequencerLoop loop;
  private final EventCatalog catalog;
  private final RandomGenerator seeds;
  private final PoolViews pools;
  private final AdminEventQuota quota;

  public EventAdminGrpcService(ArbiterStore store, SequencerLoop loop, EventCatalog catalog, RandomGenerator seeds,
      PoolViews pools, AdminEventQuota quota) {
    this.pools = pools;
    this.quota = quota;
    this.store = store;
    this.loop = loop;
    this.catalog = catalog;
    this.seeds = seeds;
  }

  @Override
  public void createEvent(CreateEventRequest request, StreamObserver<CreateEventResponse> out) {
    EventValidator.requireRequestId("request_id", request.getRequestId());
    if (!request.hasEvent()) throw EventValidator.invalid("event", "is required");
    EventValidator.validateNew(request.getEvent());
    EventSpec wanted = WireMapping.fromProto(request.getEvent(), seeds.nextLong());
    Optional<OrderTerms> terms = OrderTermsMapping.fromRequest(request, wanted); // bad terms refused before anything is stored
    if (wanted.endMicros() <= loop.nowMicros()) throw EventValidator.invalid("event.end_time", "is in the past");
    CompletableFuture<EventSpec> created;
    try {
      catalog.requireOpenable(wanted); // a refusal by configuration costs nothing
      // A retry (or a clash) with an event already here, or stored but not yet on sale, costs nothing;
      // a new one is charged to its creator.
      if (catalog.find(wanted.eventId()).isEmpty() && store.findEvent(wanted.eventId()).isEmpty()) {
        quota.charge(AuthInterceptor.current());
      }
      created = catalog.create(request.getRequestId(), wanted, terms);
    } catch (StatusRuntimeException e) {
      throw e;
    } catch (RuntimeException e) {
      throw createRefused(request, wanted, e);
    }
    created.whenComplete(
        (stored, error) -> {
          if (error != null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
            out.onError(cause instanceof RuntimeException r ? createRefused(request, wanted, r) : Failures.toStatus(error));
            return;
          }
          out.onNext(CreateEventResponse.newBuilder().setEvent(WireMapping.toProto(stored))
              .setLottery(LotterySeals.of(stored, loop.nowMicros())).build());
          out.onCompleted();
        });
  }

  /** The status for a create the catalog refused before sequencing it. */
  private static StatusRuntimeException createRefused(CreateEventRequest request, EventSpec wanted, RuntimeException e) {
    if (e instanceof EventExistsException exists) {
      return Errors.error(ErrorReason.EVENT_EXISTS, "event " + wanted.eventId() + (exists.expired()
          ? " finished and its records expired; an event id is never created again: choose another"
          : " exists (created by another request_id)"), Map.of("event_id", wanted.eventId()));
    }
    if (e instanceof RequestIdReusedException reused) {
      return Errors.error(ErrorReason.REQUEST_ID_REUSED, e.getMessage(),
          Map.of("request_id", request.getRequestId(), "event_id", reused.eventId()));
    }
    if (e instanceof StoreRejectedException) { // the order terms stored under this request differ
      return Errors.error(ErrorReason.REQUEST_ID_REUSED, e.getMessage(), Map.of("request_id", request.getRequestId()));
    }
    if (e instanceof EventCatalog.OrdersNotKeptException) return Errors.error(ErrorReason.MODE_NOT_SUPPORTED, e.getMessage());
    if (e instanceof EventCatalog.PoolsNotOpenedException notOpened) {
      return notOpened.unopenable()
          ? Errors.error(ErrorReason.MODE_NOT_SUPPORTED, "pools are opened when their event is created: " + e.getMessage())
          : Errors.error(ErrorReason.STORE_UNAVAILABLE, e.getMessage() + "; the event is stored but not on sale until"
              + " they open: retry with the same request_id");
    }
    if (e instanceof PoolExistsException) {
      return Errors.error(ErrorReason.EVENT_EXISTS, "event " + wanted.eventId() + " is stored but not on sale: "
          + e.getMessage() + " (a pool under its id that this arbiter did not open: another deployment's, or one written"
          + " by hand); see the README on pools", Map.of("event_id", wanted.eventId()));
    }
    if (e instanceof PoolLostException) {
      return Errors.error(ErrorReason.POOL_LOST, "event " + wanted.eventId() + " cannot be created: " + e.getMessage(),
          Map.of("event_id", wanted.eventId()));
    }
    return Failures.toStatus(e);
  }

  @Override
  public void getEvent(EventAdminServiceGetEventRequest request, StreamObserver<EventAdminServiceGetEventResponse> out) {
    EventSpec spec = requireEvent(request.getEventId());
    if (spec.mode() != SaleMode.GLOBAL_ORDER) {
      requireReadable(spec, pools.unreadable(spec));
      pools.counters(spec).whenComplete((counters, error) -> {
        if (error != null) {
          out.onError(storeDown(spec, error));
        } else {
          out.onNext(poolEventResponse(spec, counters));
          out.onCompleted();
        }
      });
      return;
    }
    if (catalog.find(spec.eventId()).isEmpty()) { // finished: read-only from the store
      EventStatus finished;
      try {
        finished = EventStatus.of(store.loadHead(spec.eventId()));
      } catch (RuntimeException e) {
        throw Failures.toStatus(e);
      }
      out.onNext(eventResponse(spec, finished, auctionResult(spec), paymentTerms(spec)));
      out.onCompleted();
      return;
    }
    Optional<flashsale.v1.AuctionResult> auction = auctionResult(spec); // off the loop thread
    Optional<OrderTerms> terms = paymentTerms(spec);
    loop.query(q -> q.eventStatus(spec.eventId()))
        .whenComplete(
            (status, error) -> {
              if (error != null) {
                out.onError(Failures.toStatus(error));
                return;
              }
              if (status.isEmpty()) { // registered but not (yet) sequenced: a leader change under way
                out.onError(Errors.error(ErrorReason.NOT_LEADER, "event " + spec.eventId() + " is being rebuilt; retry"));
                return;
              }
              out.onNext(eventResponse(spec, status.get(), auction, terms));
              out.onCompleted();
            });
  }

  /** An auction's close and standing bids (winners once closed) as the store holds them: nothing undurable. */
  private Optional<flashsale.v1.AuctionResult> auctionResult(EventSpec spec) {
    if (spec.auction().isEmpty()) return Optional.empty();
    try {
      return store.loadHead(spec.eventId()).auction().map(flashsale.wire.AuctionWire::toProto);
    } catch (RuntimeException e) {
      throw Failures.toStatus(e);
    }
  }

  /** The terms after the win as the store holds them (off the loop thread). */
  private Optional<OrderTerms> paymentTerms(EventSpec spec) {
    try {
      return catalog.terms(spec.eventId());
    } catch (RuntimeException e) {
      throw Failures.toStatus(e);
    }
  }

  private EventAdminServiceGetEventResponse eventResponse(EventSpec spec, EventStatus st,
      Optional<flashsale.v1.AuctionResult> auction, Optional<OrderTerms> terms) {
    var response =
        EventAdminServiceGetEventResponse.newBuilder()
            .setEvent(WireMapping.toProto(spec))
            .setLottery(LotterySeals.of(spec, loop.nowMicros()))
            .setState(WireMapping.toProto(state(spec, st, auction)))
            .setCounters(
                EventCounters.newBuilder()
                    .setRemainingStock(st.remainingStock())
                    .setUnitsSold(st.unitsSold())
                    .setDecisions(st.decisions())
                    .setWins(st.wins())
                    .setLosses(st.losses())
                    .setLateTickets(st.lateTickets())
                    .setPendingTickets(st.pendingTickets())
                    .addAllSlots(WireMapping.slotStatus(spec, st.remainingBySlot())));
    st.soldOutMicros().ifPresent(c -> response.setSoldOutTime(Times.timestamp(c)));
    auction.ifPresent(response::setAuction);
    terms.ifPresent(t -> response.setPaymentTerms(OrderTermsMapping.toProto(t)));
    return response.build();
  }

  /** An auction is open until its close as the store holds it (soft close may have moved it past the end). */
  private SaleState state(EventSpec spec, EventStatus st, Optional<flashsale.v1.AuctionResult> auction) {
    long nowMicros = loop.nowMicros();
    return auction.map(a -> SaleState.ofAuction(spec, st.soldOutMicros().isPresent(), Times.micros(a.getCloseTime()),
        a.getClosed(), nowMicros)).orElseGet(() -> SaleState.at(spec, st.soldOutMicros(), nowMicros));
  }

  /** Counters of a CENTRAL or SHARDED event as its pools hold them; the sequencer has no tickets of it. */
  private EventAdminServiceGetEventResponse poolEventResponse(EventSpec spec, PoolCounters c) {
    return EventAdminServiceGetEventResponse.newBuilder()
        .setEvent(WireMapping.toProto(spec))
        .setState(WireMapping.toProto(SaleState.at(spec, c.remainingUnits() == 0, loop.nowMicros())))
        .setCounters(EventCounters.newBuilder()
            .setRemainingStock(c.remainingUnits())
            .setUnitsSold(c.soldUnits())
            .setDecisions(c.decisions())
            .setWins(c.wins())
            .setLosses(c.losses()))
        .build();
  }

  @Override
  public void listDecisions(ListDecisionsRequest request, StreamObserver<ListDecisionsResponse> out) {
    EventSpec spec = requireEvent(request.getEventId());
    int pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw EventValidator.invalid("page_size", "must be between 0 and " + MAX_PAGE_SIZE);
    }
    long afterRank = parsePageToken(request.getPageToken());
    if (spec.mode() == SaleMode.GLOBAL_ORDER) {
      List<Decision> page;
      try {
        page = store.listDecisions(spec.eventId(), afterRank, pageSize);
      } catch (RuntimeException e) {
        throw Failures.toStatus(e);
      }
      answerPage(page, pageSize, out);
      return;
    }
    requireReadable(spec, pools.unlistable(spec));
    pools.listDecisions(spec, afterRank, pageSize).whenComplete((page, error) -> {
      if (error != null) {
        out.onError(storeDown(spec, error));
      } else {
        answerPage(page, pageSize, out);
      }
    });
  }

  private static void answerPage(List<Decision> page, int pageSize, StreamObserver<ListDecisionsResponse> out) {
    var response = ListDecisionsResponse.newBuilder();
    page.forEach(d -> response.addDecisions(WireMapping.toProto(d)));
    if (page.size() == pageSize) response.setNextPageToken(Long.toString(page.get(page.size() - 1).rank()));
    out.onNext(response.build());
    out.onCompleted();
  }

  private static long parsePageToken(String token) {
    if (token.isEmpty()) return 0;
    try {
      long rank = Long.parseLong(token);
      if (rank < 0) throw new NumberFormatException();
      return rank;
    } catch (NumberFormatException e) {
      throw EventValidator.invalid("page_token", "is not a token this API returned");
    }
  }

  @Override
  public void listRegions(ListRegionsRequest request, StreamObserver<ListRegionsResponse> out) {
    loop.query(q -> q.regionStatuses())
        .whenComplete(
            (regions, error) -> {
              if (error != null) {
                out.onError(Failures.toStatus(error));
                return;
              }
              var response = ListRegionsResponse.newBuilder();
              regions.forEach(r -> response.addRegions(RegionStatuses.toProto(r)));
              out.onNext(response.build());
              out.onCompleted();
            });
  }

  /** FAILED_PRECONDITION MODE_NOT_SUPPORTED, saying where the event's numbers are, rather than wrong ones. */
  private static void requireReadable(EventSpec spec, Optional<String> whyNot) {
    if (whyNot.isPresent()) {
      throw Errors.error(ErrorReason.MODE_NOT_SUPPORTED, whyNot.get(),
          Map.of("event_id", spec.eventId(), "mode", spec.mode().name()));
    }
  }

  private static StatusRuntimeException storeDown(EventSpec spec, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    var lost = PoolLostException.in(error);
    if (lost.isPresent()) {
      return Errors.error(ErrorReason.POOL_LOST, "a pool of " + spec.mode() + " event " + spec.eventId() + " was lost: "
          + lost.get().getMessage(), Map.of("event_id", spec.eventId()));
    }
    return Errors.error(ErrorReason.STORE_UNAVAILABLE, "the " + spec.mode() + " pools of event " + spec.eventId()
        + " did not answer: " + cause.getMessage(), Map.of("event_id", spec.eventId()));
  }

  private EventSpec requireEvent(String eventId) {
    EventValidator.requireId("event_id", eventId);
    return findOrLoad(eventId)
        .orElseThrow(() -> Errors.error(ErrorReason.EVENT_NOT_FOUND, "no event " + eventId, Map.of("event_id", eventId)));
  }

  /** The event, from the registry or else from the store (see {@link EventCatalog#findOrLoad}); store failures as statuses. */
  public Optional<EventSpec> findOrLoad(String eventId) {
    try {
      return catalog.findOrLoad(eventId);
    } catch (RuntimeException e) {
      throw Failures.toStatus(e);
    }
  }
}
