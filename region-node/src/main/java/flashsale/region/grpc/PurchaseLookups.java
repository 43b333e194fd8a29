package flashsale.region.grpc;

import flashsale.region.core.Failure;
import flashsale.region.core.PurchaseStanding;
import flashsale.region.core.RegionCore;
import flashsale.region.modes.ModeSellers;
import flashsale.sale.Decision;
import flashsale.sale.ErrorReason;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.PurchaseState;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.wire.Times;
import flashsale.wire.WireMapping;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * GetPurchase and WatchPurchase on the loop, once the region knows the event. CENTRAL and SHARDED
 * purchases come from their pool stores (final once decided); a watch of a SHARDED one held here
 * for borrowed stock waits for its decision. Otherwise the purchase is pending
 * here, decided here, or asked of the arbiter; a decided one is shown with where it stands after
 * the win ({@link PurchaseStandings}).
 */
final class PurchaseLookups {
  private final RegionCore core;
  private final CallRegistry calls;
  private final ModeSellers modes;
  private final PurchaseStandings standings;
  /** Watches of purchases pending here, by watcher: the call each waits on for the decision. */
  private final Map<StreamObserver<WatchPurchaseResponse>, StreamObserver<PurchaseResponse>> awaiting = new HashMap<>();

  PurchaseLookups(RegionCore core, CallRegistry calls, ModeSellers modes, PurchaseStandings standings) {
    this.core = core;
    this.calls = calls;
    this.modes = modes;
    this.standings = standings;
  }

  void getPurchase(String eventId, String requestId, StreamObserver<GetPurchaseResponse> response) {
    getPurchase(eventId, requestId, Optional.empty(), response);
  }

  /**
   * As above, for an event this node could not look up ({@code lookUpFailed}): the arbiter's store
   * holds GLOBAL_ORDER decisions only, so its "no such purchase" could be a CENTRAL or SHARDED
   * purchase its pool holds; the buyer is told the look-up's failure, to retry, instead.
   */
  void getPurchase(String eventId, String requestId, Optional<Failure> lookUpFailed,
      StreamObserver<GetPurchaseResponse> response) {
    // CENTRAL and SHARDED decisions live in their pool stores, never at the arbiter.
    var modeEvent = core.eventSpec(eventId).filter(modes::handles);
    if (modeEvent.isPresent()) {
      modes.getPurchase(modeEvent.get(), requestId, response);
      return;
    }
    var pending = core.pendingTicket(eventId, requestId);
    if (pending.isPresent()) {
      respond(response, pending(pending.get().stampMicros()));
      return;
    }
    Optional<Decision> decided = decidedHere(eventId, requestId);
    if (decided.isPresent()) {
      // Without an answer from the arbiter, the decision alone is still worth showing.
      standings.standing(decided.get(), s -> respond(response, RegionWire.toProto(s)),
          failure -> respond(response, RegionWire.toProto(PurchaseStanding.decided(decided.get()))));
      return;
    }
    // Pending at the arbiter: stamped here before a restart, or at another region.
    standings.ask(eventId, requestId, s -> respond(response, RegionWire.toProto(s)),
        p -> respond(response, GetPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_PENDING)
            .setArrivalTime(p.getPending().getArrivalTime()).build()),
        failure -> response.onError(RegionWire.status(
            failure.reason() == ErrorReason.PURCHASE_NOT_FOUND ? lookUpFailed.orElse(failure) : failure)));
  }

  /** Streams the purchase's standing from now until it is settled. */
  void watch(String eventId, String requestId, StreamObserver<WatchPurchaseResponse> out) {
    Optional<Failure> refused = standings.admitWatch(awaiting.size()); // watches of purchases pending here count too
    if (refused.isPresent()) {
      out.onError(RegionWire.status(refused.get()));
      return;
    }
    long generation = standings.generation();
    var modeEvent = core.eventSpec(eventId).filter(modes::handles);
    if (modeEvent.isPresent()) {
      var held = modes.heldTicket(modeEvent.get(), requestId);
      if (held.isEmpty()) {
        modes.getPurchase(modeEvent.get(), requestId, once(out)); // decided (final) or unknown: one answer
        return;
      }
      // Held here for borrowed stock: pending now, and its decision, final, once there is one.
      out.onNext(RegionWire.toWatch(pending(held.get().stampMicros())));
      modes.awaitHeld(modeEvent.get(), requestId, awaiting(requestId, out, decision -> {
        out.onNext(WatchPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_DECIDED)
            .setDecision(WireMapping.toProto(decision)).build());
        out.onCompleted();
      }));
      return;
    }
    var pending = core.pendingTicket(eventId, requestId);
    if (pending.isPresent()) {
      out.onNext(RegionWire.toWatch(pending(pending.get().stampMicros())));
      // Decided while watched (a burst's watches all at once): told at once, its order asked in turn.
      calls.await(requestId, awaiting(requestId, out, decision -> standings.watchDecided(decision, generation, out)));
      return;
    }
    Optional<Decision> decided = decidedHere(eventId, requestId);
    if (decided.isPresent()) {
      watchDecided(decided.get(), generation, out);
      return;
    }
    standings.ask(eventId, requestId, s -> standings.watch(s, generation, out),
        p -> out.onError(RegionWire.status(Failure.of(ErrorReason.PURCHASE_PENDING, "purchase " + requestId
            + " is pending at the arbiter (stamped at region " + p.getPending().getRegion() + "), not at this region: "
            + "watch it at the region it was bought at, or again once decided"))),
        failure -> out.onError(RegionWire.status(failure)));
  }

  /** The watcher went away: it waits for nothing any more. */
  void cancelled(String eventId, String requestId, StreamObserver<WatchPurchaseResponse> out) {
    StreamObserver<PurchaseResponse> call = awaiting.remove(out);
    if (call != null) calls.forget(requestId, call);
    standings.forget(eventId, requestId, out);
  }

  /**
   * The call a watch of a purchase pending here waits on, beside the Purchase calls, for its
   * decision ({@code decided}) or failure; counted among the open watches until then.
   */
  private StreamObserver<PurchaseResponse> awaiting(String requestId, StreamObserver<WatchPurchaseResponse> out,
      java.util.function.Consumer<Decision> decided) {
    StreamObserver<PurchaseResponse> call = new Watch() {
      @Override
      public void onNext(PurchaseResponse r) {
        if (awaiting.remove(out) == null) return;
        try {
          decided.accept(WireMapping.fromProto(r.getDecision()));
        } catch (IllegalArgumentException malformed) {
          out.onError(RegionWire.status(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "unusable decision for " + requestId)));
        }
      }

      @Override
      public void onError(Throwable t) {
        if (awaiting.remove(out) != null) out.onError(t);
      }

      @Override
      public void onCompleted() {}
    };
    awaiting.put(out, call);
    return call;
  }

  /** A watch's wait for a decision: beside the purchase's calls, not in one of their places. */
  private interface Watch extends StreamObserver<PurchaseResponse>, CallRegistry.Watching {}

  /** A watch opened on a purchase decided earlier: its standing asked first, the decision alone if that fails. */
  private void watchDecided(Decision decision, long generation, StreamObserver<WatchPurchaseResponse> out) {
    standings.standing(decision, s -> standings.watch(s, generation, out),
        failure -> standings.watchDecided(decision, generation, out));
  }

  private Optional<Decision> decidedHere(String eventId, String requestId) {
    return core.answer(eventId, requestId).map(a -> switch (a) {
      case flashsale.region.core.Answer.Ranked r -> r.decision();
    });
  }

  private static GetPurchaseResponse pending(long stampMicros) {
    return GetPurchaseResponse.newBuilder().setState(PurchaseState.PURCHASE_STATE_PENDING)
        .setArrivalTime(Times.timestamp(stampMicros)).build();
  }

  /** A pool store's one answer as the whole stream: its decisions are final. */
  private static StreamObserver<GetPurchaseResponse> once(StreamObserver<WatchPurchaseResponse> out) {
    return new StreamObserver<>() {
      /** Told PENDING with nothing to wait on (a buy at the pool's store): a watch must not end there. */
      private boolean retryTold;

      @Override
      public void onNext(GetPurchaseResponse r) {
        if (r.getState() == PurchaseState.PURCHASE_STATE_PENDING) {
          retryTold = true;
          out.onError(RegionWire.status(Failure.of(ErrorReason.STOCK_IN_TRANSIT, "the purchase is being decided at the"
              + " pool's store; watch again with the same request_id")));
          return;
        }
        out.onNext(RegionWire.toWatch(r));
      }

      @Override
      public void onError(Throwable t) {
        if (!retryTold) out.onError(t);
      }

      @Override
      public void onCompleted() {
        if (!retryTold) out.onCompleted();
      }
    };
  }

  private static void respond(StreamObserver<GetPurchaseResponse> response, GetPurchaseResponse r) {
    response.onNext(r);
    response.onCompleted();
  }
}
