package flashsale.region.grpc;

import flashsale.region.core.BuyRequest;
import flashsale.region.core.Failure;
import flashsale.region.core.Admission;
import flashsale.region.core.PurchaseRoute;
import flashsale.region.core.PurchaseRules;
import flashsale.region.core.ReadOrder;
import flashsale.region.core.RegionCore;
import flashsale.region.modes.ModeSellers;
import flashsale.region.transport.ArrivalStamps;
import flashsale.region.transport.InFlightReads;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.GetEventResponse;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PlaceBidResponse;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import flashsale.v1.WatchAuctionRequest;
import flashsale.v1.WatchAuctionResponse;
import flashsale.v1.WatchPurchaseRequest;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.sale.ErrorReason;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The public API of a region. Handlers only translate and post to the region loop; a Purchase call
 * stays open (no thread held) until its decision arrives from the arbiter.
 */
final class FlashSaleServiceImpl extends FlashSaleServiceGrpc.FlashSaleServiceImplBase {
  private final RegionLoop loop;
  private final RegionCore core;
  private final CallRegistry calls;
  private final ArbiterLinks link;
  private final ArbiterQueries queries;
  private final ModeSellers modes;
  private final AuctionWatchers watchers;
  /** Purchases handed to the loop and not yet taken up: bounded, so a burst cannot fill the heap. */
  private final AtomicInteger queuedPurchases = new AtomicInteger();
  /**
   * How long a purchase's read may hold this region's watermarks while its event is looked up at
   * the arbiter. Regions hear of events when they are created, so an honest purchase rarely waits
   * for a look-up; one that waits longer is stamped past what the region promised meanwhile.
   */
  static final long UNKNOWN_EVENT_HOLD_MS = 50;
  private final int maxQueuedPurchases;

  private final PurchaseLookups purchases;
  private final ReadOrder readOrder;
  /** Set once the node's meters are bound; streams opened before count nothing. */
  private volatile StreamAnswerMeter streamAnswers = StreamAnswerMeter.NONE;

  FlashSaleServiceImpl(RegionLoop loop, RegionCore core, CallRegistry calls, ArbiterLinks link, ArbiterQueries queries,
      ModeSellers modes, int maxQueuedPurchases, AuctionWatchers watchers, PurchaseLookups purchases, ReadOrder readOrder) {
    this.purchases = purchases;
    this.readOrder = readOrder;
    this.watchers = watchers;
    this.modes = modes;
    this.maxQueuedPurchases = maxQueuedPurchases;
    this.loop = loop;
    this.core = core;
    this.calls = calls;
    this.link = link;
    this.queries = queries;
  }

  @Override
  public void purchase(PurchaseRequest request, StreamObserver<PurchaseResponse> response) {
    take(RegionWire.buyRequest(request), response, response);
  }

  /** Each message takes the purchase's path, stamped at its own socket read; answers share the stream. */
  @Override
  public StreamObserver<StreamPurchasesRequest> streamPurchases(StreamObserver<StreamPurchasesResponse> out) {
    return new PurchaseStream((ServerCallStreamObserver<StreamPurchasesResponse>) out,
        (buy, read, answer) -> take(buy, read, answer), streamAnswers);
  }

  void meterStreamAnswers(io.micrometer.core.instrument.MeterRegistry registry) {
    streamAnswers = StreamAnswerMeter.register(registry);
  }

  /** A bid takes the purchase's path (stamp at the read, pending, idempotent); only its answer's wrapping differs. */
  @Override
  public void placeBid(PlaceBidRequest request, StreamObserver<PlaceBidResponse> response) {
    BuyRequest bid = BuyRequest.bid(request.getEventId(), request.getUserId(), request.getRequestId(),
        request.getAmountMinor(), request.getCurrencyCode());
    take(bid, new BidAnswer(response), response);
  }

  /**
   * A bid's answer, told as a PlaceBidResponse; ended once its caller cancelled, so a cancelled
   * bid's call is let go like a cancelled purchase's (it would keep one of the id's places).
   */
  static final class BidAnswer implements StreamObserver<PurchaseResponse>, CallRegistry.Endable {
    private final StreamObserver<PlaceBidResponse> response;

    BidAnswer(StreamObserver<PlaceBidResponse> response) {
      this.response = response;
    }

    @Override
    public boolean ended() {
      return response instanceof ServerCallStreamObserver<?> call && call.isCancelled();
    }

    @Override
    public void onNext(PurchaseResponse r) {
      response.onNext(PlaceBidResponse.newBuilder().setDecision(r.getDecision()).build());
    }

    @Override
    public void onError(Throwable t) {
      response.onError(t);
    }

    @Override
    public void onCompleted() {
      response.onCompleted();
    }
  }

  /** {@code call} is the gRPC observer behind {@code response} (the same one for a purchase). */
  private void take(BuyRequest buy, StreamObserver<PurchaseResponse> callResponse, StreamObserver<?> call) {
    StreamObserver<PurchaseResponse> response = CallThreadAnswer.onCurrentThread(callResponse);
    if (call instanceof ServerCallStreamObserver<?> serverCall) {
      // Set before returning, as gRPC requires; the purchase itself stays pending for a retry.
      // Captures the id alone: the handler lives as long as the pending call, the request need not.
      String requestId = buy.requestId();
      serverCall.setOnCancelHandler(() -> loop.execute(() -> calls.forget(requestId, response)));
    }
    // Read off the socket before decoding (see flashsale.region.transport): queueing anywhere
    // after the read, in this node or in gRPC, stays out of the ranking.
    take(buy, ArrivalStamps.currentRead(), response);
  }

  /**
   * A purchase read at {@code read} (empty: stamped now), answered through {@code response}.
   * Watermarks stay below the read until the purchase is stamped on the loop.
   */
  private void take(BuyRequest buy, Optional<InFlightReads.Read> read, StreamObserver<PurchaseResponse> response) {
    long arrivalMicros = read.map(InFlightReads.Read::readMicros).orElseGet(core::arrivalMicros);
    // Syntax is checked here, once and off the loop: a malformed call costs the loop nothing.
    Optional<Failure> invalid = RegionCore.validate(buy);
    if (invalid.isPresent()) {
      read.ifPresent(InFlightReads.Read::release);
      response.onError(RegionWire.status(invalid.get()));
      return;
    }
    String clientAddress = ClientAddress.current();
    if (queuedPurchases.incrementAndGet() > maxQueuedPurchases) {
      queuedPurchases.decrementAndGet();
      read.ifPresent(InFlightReads.Read::release);
      response.onError(RegionWire.status(Failure.of(ErrorReason.TOO_MANY_PENDING,
          "region is " + maxQueuedPurchases + " purchases behind; retry with the same request_id")));
      return;
    }
    loop.execute(() -> {
      queuedPurchases.decrementAndGet();
      // The read stays in flight (holding watermarks below it) until admit stamps it, across an
      // event look-up too; every way out of purchaseOnLoop lets go of it. It
      // waits for older reads still on their way, so it is not stamped ahead of them.
      readOrder.admit(arrivalMicros, () -> purchaseOnLoop(buy, arrivalMicros, clientAddress, read, response));
    });
  }

  @Override
  public void getPurchase(GetPurchaseRequest request, StreamObserver<GetPurchaseResponse> response) {
    Optional<Failure> invalid = PurchaseRules.checkId("event_id", request.getEventId())
        .or(() -> PurchaseRules.checkRequestId(request.getRequestId()));
    if (invalid.isPresent()) {
      response.onError(RegionWire.status(invalid.get()));
      return;
    }
    String eventId = request.getEventId();
    String requestId = request.getRequestId();
    String clientAddress = ClientAddress.current();
    loop.execute(() -> {
      // Counted like the other reads: made-up ids make the region ask the arbiter, whose queries are capped.
      Optional<Failure> limited = core.admitLookup(clientAddress);
      if (limited.isPresent()) {
        response.onError(RegionWire.status(limited.get()));
        return;
      }
      if (core.knowsEvent(eventId)) {
        purchases.getPurchase(eventId, requestId, response);
      } else {
        // The mode decides which store to ask; should the look-up fail, the arbiter answers for a
        // purchase it holds (or its failure is told, to retry). An event the arbiter does not have
        // is said so, not "no such purchase".
        queries.lookupEvent(eventId, failure -> {
          if (failure.isPresent() && failure.get().reason() == ErrorReason.EVENT_NOT_FOUND) {
            response.onError(RegionWire.status(failure.get()));
          } else {
            purchases.getPurchase(eventId, requestId, failure, response);
          }
        });
      }
    });
  }

  /** Like WatchAuction: a read about a known event, then pushed changes until the purchase is settled. */
  @Override
  public void watchPurchase(WatchPurchaseRequest request, StreamObserver<WatchPurchaseResponse> out) {
    String eventId = request.getEventId();
    String requestId = request.getRequestId();
    Optional<Failure> invalid = PurchaseRules.checkId("event_id", eventId)
        .or(() -> PurchaseRules.checkRequestId(requestId));
    if (invalid.isPresent()) {
      out.onError(RegionWire.status(invalid.get()));
      return;
    }
    if (out instanceof ServerCallStreamObserver<?> call) {
      call.setOnCancelHandler(() -> loop.execute(() -> purchases.cancelled(eventId, requestId, out)));
    }
    lookUp(eventId, out, () -> purchases.watch(eventId, requestId, out));
  }

  @Override
  public void getEvent(GetEventRequest request, StreamObserver<GetEventResponse> response) {
    lookUp(request.getEventId(), response, () -> {
      String eventId = request.getEventId();
      var view = core.eventView(eventId).orElseThrow();
      if (view.spec().auction().isPresent()) {
        // Only the arbiter's store knows the bids standing across regions.
        queries.auctionOf(eventId, auction -> {
          var seen = view.withAuctionClose(flashsale.wire.Times.micros(auction.getCloseTime()), auction.getClosed(),
              core.arrivalMicros());
          response.onNext(RegionWire.toProto(seen).toBuilder().setAuction(auction).build());
          response.onCompleted();
        }, failure -> response.onError(RegionWire.status(failure)));
        return;
      }
      if (view.spec().slots().isEmpty()) {
        response.onNext(RegionWire.toProto(view));
        response.onCompleted();
        return;
      }
      // Only the arbiter's store knows a reservation's slots across regions.
      queries.slotsOf(eventId, slots -> {
        response.onNext(RegionWire.toProto(view).toBuilder().addAllSlots(slots).build());
        response.onCompleted();
      }, failure -> response.onError(RegionWire.status(failure)));
    });
  }

  @Override
  public void watchAuction(WatchAuctionRequest request, StreamObserver<WatchAuctionResponse> response) {
    String eventId = request.getEventId();
    if (response instanceof ServerCallStreamObserver<?> call) {
      call.setOnCancelHandler(() -> loop.execute(() -> watchers.forget(eventId, response)));
      // A watcher that stopped reading is sent the newest view once it reads again, not each change.
      call.setOnReadyHandler(() -> loop.execute(() -> watchers.ready(eventId, response)));
    }
    lookUp(eventId, response, () -> {
      flashsale.sale.EventSpec spec = core.eventSpec(eventId).orElseThrow();
      if (spec.auction().isEmpty()) {
        response.onError(RegionWire.status(Failure.of(ErrorReason.WRONG_EVENT_KIND,
            "event " + eventId + " is not an auction: it has no bids to watch")));
        return;
      }
      Optional<Failure> full = watchers.admit(); // before asking the arbiter for a watch that cannot be kept
      if (full.isPresent()) {
        response.onError(RegionWire.status(full.get()));
        return;
      }
      // What the arbiter reported last, else what its store holds now; then every change. A view
      // still open past the latest close missed its result (announced while no stream was up): ask.
      long latestCloseMicros = spec.latestCloseMicros();
      watchers.latest(eventId).filter(v -> v.getClosed() || core.arrivalMicros() < latestCloseMicros)
          .ifPresentOrElse(current -> watchers.watch(eventId, current, response),
              () -> queries.auctionOf(eventId, current -> watchers.watch(eventId, current, response),
                  failure -> response.onError(RegionWire.status(failure))));
    });
  }

  /**
   * A read about an event: a valid id, within the client address's look-up limit, then {@code
   * known} on the loop once the core knows the event.
   */
  private void lookUp(String eventId, StreamObserver<?> response, Runnable known) {
    Optional<Failure> invalid = PurchaseRules.checkId("event_id", eventId);
    if (invalid.isPresent()) {
      response.onError(RegionWire.status(invalid.get()));
      return;
    }
    String clientAddress = ClientAddress.current();
    loop.execute(() -> {
      Optional<Failure> limited = core.admitLookup(clientAddress);
      if (limited.isPresent()) {
        response.onError(RegionWire.status(limited.get()));
        return;
      }
      withEvent(eventId, response, known);
    });
  }

  private void purchaseOnLoop(BuyRequest buy, long arrivalMicros, String clientAddress,
      Optional<InFlightReads.Read> read, StreamObserver<PurchaseResponse> response) {
    // Every way out lets go of the read: a streamed purchase's read has no call end to do it.
    Optional<Failure> closed = calls.closedWith();
    if (closed.isPresent()) {
      read.ifPresent(InFlightReads.Read::release);
      CallThreadAnswer.fail(response, closed.get());
      return;
    }
    // An event this node does not know costs a look-up, whose token is given back if the event is found.
    boolean lookUpCharged = !core.knowsEvent(buy.eventId());
    if (lookUpCharged) {
      // A retry decided here before the event was let go: answered from memory, not behind a look-up.
      Optional<Admission.Settled> remembered = core.rememberedAnswer(buy);
      if (remembered.isPresent()) {
        read.ifPresent(InFlightReads.Read::release);
        CallThreadAnswer.settle(response, remembered.get());
        return;
      }
      // A question to the arbiter, as a GetEvent is: made-up event ids must not skip the address's limit.
      Optional<Failure> limited = core.admitLookup(clientAddress);
      if (limited.isPresent()) {
        read.ifPresent(InFlightReads.Read::release);
        CallThreadAnswer.fail(response, limited.get());
        return;
      }
    }
    withEvent(buy.eventId(), read, failure -> {
      read.ifPresent(InFlightReads.Read::release);
      CallThreadAnswer.fail(response, failure);
    }, () -> {
      try {
        // The event exists: the purchase pays its address's token once, in admit, not the look-up's too.
        if (lookUpCharged) core.giveBackLookup(clientAddress);
        admit(buy, arrivalMicros, clientAddress, response);
      } finally {
        // Stamped (or answered from what is known); let go even if admit threw, or the read would
        // hold this region's watermark, and every event's frontier, where it is for good.
        read.ifPresent(InFlightReads.Read::release);
      }
    });
  }

  private void admit(BuyRequest buy, long arrivalMicros, String clientAddress, StreamObserver<PurchaseResponse> response) {
    // A look-up may have taken us past shutdown; a ticket now would never be answered.
    Optional<Failure> closed = calls.closedWith();
    if (closed.isPresent()) {
      CallThreadAnswer.fail(response, closed.get());
      return;
    }
    switch (core.route(buy, arrivalMicros, modes.soldHere(), clientAddress)) {
      case PurchaseRoute.Refused r -> CallThreadAnswer.fail(response, r.failure());
      case PurchaseRoute.Limited l -> modes.limited(l.spec(), buy, l.failure(), response);
      case PurchaseRoute.ToSeller s -> modes.purchase(s.spec(), buy, s.stampMicros(), response);
      case PurchaseRoute.ToSequencer q -> sequence(buy, arrivalMicros, clientAddress, response);
    }
  }

  private void sequence(BuyRequest buy, long arrivalMicros, String clientAddress, StreamObserver<PurchaseResponse> response) {
    switch (core.purchaseValidated(buy, arrivalMicros, clientAddress)) {
      case Admission.Ticketed t -> {
        calls.await(buy.requestId(), response);
        link.send(t.ticket());
      }
      case Admission.Joined j -> calls.await(buy.requestId(), response);
      case Admission.Unremembered u -> askArbiter(buy, u.otherwise(), response);
      case Admission.Settled s -> CallThreadAnswer.settle(response, s);
    }
  }

  /**
   * A request id this node holds nothing of, past the sale's end: the arbiter's decision if it has
   * one (a retry), else {@code otherwise}. When the arbiter cannot say (unreachable, or too many
   * questions open), that failure, which asks for a retry: the purchase may have been decided.
   */
  private void askArbiter(BuyRequest buy, Failure otherwise, StreamObserver<PurchaseResponse> response) {
    queries.getDecision(buy.eventId(), buy.requestId(), found -> {
      if (found.hasPending()) {
        CallThreadAnswer.fail(response, Failure.of(ErrorReason.PURCHASE_PENDING, "purchase " + buy.requestId()
            + " is pending at the arbiter (stamped at region " + found.getPending().getRegion() + "); retry with the same "
            + "request_id once it is decided"));
        return;
      }
      flashsale.sale.Decision decision;
      try {
        decision = flashsale.wire.WireMapping.fromProto(found.getDecision());
      } catch (IllegalArgumentException malformed) {
        CallThreadAnswer.fail(response, otherwise);
        return;
      }
      CallThreadAnswer.settle(response, core.decidedElsewhere(buy, decision));
    }, failed -> CallThreadAnswer.fail(response, failed.reason() == ErrorReason.PURCHASE_NOT_FOUND ? otherwise : failed));
  }

  /** Runs {@code known} once the core knows the event, asking the arbiter first if needed. */
  private void withEvent(String eventId, StreamObserver<?> response, Runnable known) {
    withEvent(eventId, failure -> response.onError(RegionWire.status(failure)), known);
  }

  /** As above, telling {@code failed} why the event is not there. */
  private void withEvent(String eventId, java.util.function.Consumer<Failure> failed, Runnable known) {
    withEvent(eventId, Optional.empty(), failed, known);
  }

  /**
   * As above, for a purchase that holds {@code read}. Held across a look-up, the read would keep
   * every watermark of this region below it (a made-up event id per round trip would hold back
   * every sale): past the cap it lets go, and the purchase, once its event is known, is stamped no
   * earlier than what the region promised meanwhile.
   */
  private void withEvent(String eventId, Optional<InFlightReads.Read> read, java.util.function.Consumer<Failure> failed,
      Runnable known) {
    // While a look-up of the event is under way, a later purchase queues behind it even if the
    // event was announced meanwhile: stamped first, it would push the waiting one's stamp past its own.
    if (core.knowsEvent(eventId) && !queries.lookingUp(eventId)) {
      known.run();
      return;
    }
    read.ifPresent(r -> loop.schedule(r::release, UNKNOWN_EVENT_HOLD_MS));
    queries.lookupEvent(eventId, failure -> {
      if (failure.isPresent()) {
        failed.accept(failure.get());
      } else {
        known.run();
      }
    });
  }
}
