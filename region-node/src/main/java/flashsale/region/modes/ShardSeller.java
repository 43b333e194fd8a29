package flashsale.region.modes;

import flashsale.loop.LoopScheduler;
import flashsale.region.core.Failure;
import flashsale.region.grpc.RegionLoop;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardHome;
import flashsale.store.modes.BuyReply;
import flashsale.store.modes.RedisPoolStore;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.ReportShardRequest;
import flashsale.v1.ReportShardResponse;
import flashsale.v1.ShardServiceGrpc;
import flashsale.sale.ErrorReason;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHARDED mode at one region: sells from this region's shard in its own Redis with no arbiter
 * round trip. When the shard cannot serve a purchase it is held (up to {@code holdMs}) and the
 * region reports the shortfall, so the arbiter's rebalancer moves stock here; held purchases are
 * retried oldest first after each report. Only once the arbiter says the whole event is sold out
 * do they lose. Users buy at their {@link ShardHome home region}, which keeps the per-user limit
 * in one store. Loop-owned, except the store callbacks, which post back to the loop.
 */
final class ShardSeller {
  private static final Logger log = LoggerFactory.getLogger(ShardSeller.class);
  /** An event without purchases for this long is no longer reported. */
  private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(3);
  private static final long REPORT_DEADLINE_MS = 2_000;

  private final String region;
  private final ModesConfig config;
  private final RegionLoop loop;
  private final Supplier<Channel> arbiter;
  private final RedisPoolStore store;
  private final Map<String, ShardEvent> events = new HashMap<>();
  private final LoopScheduler.Timer timer;

  ShardSeller(String region, ModesConfig config, RegionLoop loop, Supplier<Channel> arbiter) {
    this.region = region;
    this.config = config;
    this.loop = loop;
    this.arbiter = arbiter;
    this.store = new RedisPoolStore(config.shardRedisUri());
    this.timer = loop.every(this::tick, config.reportIntervalMs());
  }

  void purchase(EventSpec spec, Ticket ticket, StreamObserver<PurchaseResponse> call) {
    String home = ShardHome.of(ticket.userId(), spec.regions());
    if (!home.equals(region)) {
      Replies.fail(call, new Failure(ErrorReason.HOME_REGION_ELSEWHERE, "user " + ticket.userId() + " buys event "
          + spec.eventId() + " in home region " + home + ", not " + region, Map.of("home_region", home)));
      return;
    }
    long now = System.nanoTime();
    ShardEvent ev = events.computeIfAbsent(spec.eventId(), id -> new ShardEvent(spec, spec.shardUnitsOf(region), now));
    ev.asked(ticket.quantity(), now);
    ShardEvent.Held held = new ShardEvent.Held(ticket, call, now + TimeUnit.MILLISECONDS.toNanos(config.holdMs()));
    if (!ev.held.isEmpty() && !ev.soldOut) {
      ev.held.add(held); // earlier buyers here are waiting for stock: no overtaking them
      return;
    }
    store.buyShard(spec, ticket, ev.soldOut).whenComplete((reply, failure) -> loop.execute(() -> {
      if (failure != null) {
        Replies.fail(call, Replies.storeDown("shard store of region " + region, failure));
      } else if (reply instanceof BuyReply.Decided d) {
        Replies.decided(call, ticket, d);
      } else {
        ev.lastRemainingUnits = ((BuyReply.Short) reply).remainingUnits();
        ev.held.add(held);
        report(ev); // a borrow: tell the arbiter now rather than at the next tick
      }
    }));
  }

  /**
   * A held purchase is pending; otherwise the decision comes from this region's shard. Purchases
   * are decided only at the buyer's home region, so another region answers PURCHASE_NOT_FOUND.
   */
  void getPurchase(EventSpec spec, String requestId, StreamObserver<GetPurchaseResponse> call) {
    ShardEvent ev = events.get(spec.eventId());
    var held = ev == null ? Optional.<ShardEvent.Held>empty()
        : ev.held.stream().filter(h -> h.ticket().requestId().equals(requestId)).findFirst();
    if (held.isPresent()) {
      Lookups.pending(call, held.get().ticket());
      return;
    }
    Lookups.answer(call, store.shardOf(region).findDecision(spec.eventId(), requestId), "shard store of region "
        + region, spec.eventId(), requestId, "at region " + region + "; a SHARDED purchase is known at the buyer's home"
        + " region only");
  }

  /** Retries the oldest held purchase; on a decision, the next one. Stops at the first shortfall. */
  private void drain(ShardEvent ev) {
    if (ev.soldOut && !ev.draining) {
      loseAll(ev);
      return;
    }
    ShardEvent.Held head = ev.held.peek();
    if (ev.draining || head == null) return;
    ev.draining = true;
    store.buyShard(ev.spec, head.ticket(), ev.soldOut).whenComplete((reply, failure) -> loop.execute(() -> {
      ev.draining = false;
      if (failure != null) {
        log.warn("event={} retry of held {} failed: {}", ev.spec.eventId(), head.ticket().requestId(), failure.toString());
        return;
      }
      if (reply instanceof BuyReply.Decided d) {
        ev.held.remove(head);
        Replies.decided(head.call(), head.ticket(), d);
        drain(ev);
      } else {
        ev.lastRemainingUnits = ((BuyReply.Short) reply).remainingUnits();
      }
    }));
  }

  /** Sold out everywhere: no order to keep among losers, so every held purchase is decided at once. */
  private void loseAll(ShardEvent ev) {
    for (ShardEvent.Held h : ev.held) {
      store.buyShard(ev.spec, h.ticket(), true).whenComplete((reply, failure) -> {
        if (failure != null) {
          Replies.fail(h.call(), Replies.storeDown("shard store of region " + region, failure));
        } else {
          Replies.decided(h.call(), h.ticket(), (BuyReply.Decided) reply);
        }
      });
    }
    ev.held.clear();
  }

  private void tick() {
    long now = System.nanoTime();
    events.values().removeIf(ev -> !ev.active(now, QUIET_NANOS));
    for (ShardEvent ev : events.values()) {
      expire(ev, now);
      report(ev);
    }
  }

  /** Held past the deadline: UNAVAILABLE, nothing decided, so a retry with the same id is safe. */
  private void expire(ShardEvent ev, long now) {
    ev.held.removeIf(h -> {
      boolean atStore = ev.draining && h == ev.held.peek();
      if (atStore || now < h.deadlineNanos()) return false;
      Replies.fail(h.call(), Failure.of(ErrorReason.STOCK_IN_TRANSIT, "no stock reached region " + region
          + " for event " + ev.spec.eventId() + " within " + config.holdMs() + " ms; retry with the same request_id"));
      return true;
    });
  }

  private void report(ShardEvent ev) {
    if (ev.reportInFlight) return;
    ev.reportInFlight = true;
    ReportShardRequest request = ReportShardRequest.newBuilder()
        .setRegion(region)
        .setEventId(ev.spec.eventId())
        .setRemainingUnits(ev.lastRemainingUnits)
        .setWaitingUnits(ev.waitingUnits())
        .setDemandUnitsPerSecond(ev.demandUnitsPerSecond(System.nanoTime()))
        .build();
    ShardServiceGrpc.newStub(arbiter.get()).withExecutor(loop).withDeadlineAfter(REPORT_DEADLINE_MS, TimeUnit.MILLISECONDS)
        .reportShard(request, new StreamObserver<>() {
          @Override
          public void onNext(ReportShardResponse response) {
            if (response.getEventSoldOut() && !ev.soldOut) log.info("event={} sold out in every shard", ev.spec.eventId());
            ev.soldOut = response.getEventSoldOut();
          }

          @Override
          public void onError(Throwable t) {
            ev.reportInFlight = false;
            log.debug("event={} shard report failed: {}", ev.spec.eventId(), t.toString());
          }

          @Override
          public void onCompleted() {
            ev.reportInFlight = false;
            drain(ev);
          }
        });
  }

  /** Fails every held purchase (shutdown) and stops reporting. */
  void close(Failure failure) {
    timer.cancel();
    for (ShardEvent ev : events.values()) {
      ev.held.forEach(h -> Replies.fail(h.call(), failure));
      ev.held.clear();
    }
  }

  void closeStore() {
    store.close();
  }
}
