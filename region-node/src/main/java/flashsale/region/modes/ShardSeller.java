package flashsale.region.modes;

import flashsale.loop.LoopScheduler;
import flashsale.region.core.BuyRequest;
import flashsale.region.core.Failure;
import flashsale.region.grpc.RegionLoop;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardHoldQueue;
import flashsale.shard.ShardHoldQueue.ShardAnswer;
import flashsale.shard.ShardHoldQueue.Step;
import flashsale.shard.ShardHome;
import flashsale.store.BuyReply;
import flashsale.store.ShardStore;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.ReportShardRequest;
import flashsale.v1.ReportShardResponse;
import flashsale.v1.ShardServiceGrpc;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHARDED mode at one region: sells from this region's shard in its own Redis with no arbiter
 * round trip. The hold-and-borrow policy is {@link ShardHoldQueue}'s (one per event); this class
 * carries out its steps: shard-store calls, shard reports to the arbiter, answers to the open
 * calls. Users buy at their {@link ShardHome home region}, which keeps the per-user limit in one
 * store. Loop-owned, except the store callbacks, which post back to the loop.
 */
final class ShardSeller {
  private static final Logger log = LoggerFactory.getLogger(ShardSeller.class);
  /** An event without purchases for this long is no longer reported. */
  private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(3);
  private static final long REPORT_DEADLINE_MS = 2_000;

  private final String region;
  /** This node of the region, as its arbiter stream names it ("" until it has started). */
  private final java.util.function.Supplier<String> nodeId;
  private final ModesConfig config;
  private final LoopScheduler loop;
  /** The channel to the arbiter leading an event's partition. */
  private final java.util.function.Function<String, Channel> arbiter;
  private final ShardStore store;
  private final Map<String, Queue> events = new HashMap<>();
  private final LoopScheduler.Timer timer;

  /** One event's queue with its spec. */
  private record Queue(EventSpec spec, ShardHoldQueue<StreamObserver<PurchaseResponse>> policy) {}

  /** @param store this region's shard store, closed by {@link #closeStore} */
  ShardSeller(String region, ModesConfig config, ShardStore store, RegionLoop loop,
      java.util.function.Function<String, Channel> arbiter) {
    this(region, () -> "", config, store, loop, arbiter);
  }

  /** As above, its reports naming node {@code nodeId} of the region, so the arbiter adds its nodes' reports up. */
  ShardSeller(String region, java.util.function.Supplier<String> nodeId, ModesConfig config, ShardStore store,
      RegionLoop loop, java.util.function.Function<String, Channel> arbiter) {
    this.region = region;
    this.nodeId = nodeId;
    this.config = config;
    this.loop = loop;
    this.arbiter = arbiter;
    this.store = store;
    this.timer = loop.every(this::tick, config.reportIntervalMs());
  }

  void purchase(EventSpec spec, Ticket ticket, StreamObserver<PurchaseResponse> call) {
    Optional<Failure> elsewhere = homeElsewhere(spec, ticket.userId());
    if (elsewhere.isPresent()) {
      Replies.fail(call, elsewhere.get());
      return;
    }
    long now = loop.nanoTime();
    Queue queue = events.computeIfAbsent(spec.eventId(), id -> new Queue(spec, new ShardHoldQueue<>(
        id, spec.shardUnitsOf(region), TimeUnit.MILLISECONDS.toNanos(config.holdMs()), now)));
    if (queue.policy().reusedWhileHeld(ticket)) {
      Replies.fail(call, Replies.reused(ticket.requestId()));
      return;
    }
    carryOut(queue, queue.policy().purchase(ticket, call, now));
  }

  /** Over the rate limit: the home-region rule first (no store call), then this shard's decision of a retry, else {@code limited}. */
  void limited(EventSpec spec, BuyRequest buy, Failure limited, StreamObserver<PurchaseResponse> call) {
    Optional<Failure> elsewhere = homeElsewhere(spec, buy.userId());
    if (elsewhere.isPresent()) {
      Replies.fail(call, elsewhere.get());
      return;
    }
    Replies.retryOrFail(call, buy, store.findShardDecision(spec.eventId(), region, buy.requestId()), limited);
  }

  /**
   * Past the sale's end: at the buyer's home region, a retry of a purchase still held here waits
   * with it for its decision (it was stamped inside the sale), else gets this shard's decision, else
   * {@code ended}; elsewhere HOME_REGION_ELSEWHERE, as during the sale: only the home region knows
   * the purchase, and it may have won there. Until every hold that began inside the sale has run out
   * ({@link #holdsMayBeOpen}), a retry this node finds nowhere is told to retry, not that the sale
   * ended: another node of the region may hold the purchase, and it may still win.
   */
  void ended(EventSpec spec, BuyRequest buy, Failure ended, long stampMicros, StreamObserver<PurchaseResponse> call) {
    Optional<Failure> elsewhere = homeElsewhere(spec, buy.userId());
    if (elsewhere.isPresent()) {
      Replies.fail(call, elsewhere.get());
      return;
    }
    Queue queue = events.get(spec.eventId());
    Optional<Ticket> held = queue == null ? Optional.empty() : queue.policy().heldTicket(buy.requestId());
    if (held.isPresent()) {
      if (buy.sameContentAs(held.get())) queue.policy().joinHeld(buy.requestId(), call);
      else Replies.fail(call, Replies.reused(buy.requestId()));
      return;
    }
    if (queue != null && queue.policy().atStore(buy.requestId())) { // neither decided nor held yet: it may still win
      Replies.fail(call, Failure.of(ErrorReason.STOCK_IN_TRANSIT, "purchase " + buy.requestId() + " of event "
          + spec.eventId() + " is being decided at region " + region + "'s shard; retry with the same request_id"));
      return;
    }
    Failure notFound = holdsMayBeOpen(spec, stampMicros) ? Failure.of(ErrorReason.STOCK_IN_TRANSIT, "purchase "
        + buy.requestId() + " of event " + spec.eventId() + " is not decided at region " + region + "'s shard, and "
        + "another node of the region may still hold it for stock; retry with the same request_id") : ended;
    Replies.decidedOrEnded(call, buy, store.findShardDecision(spec.eventId(), region, buy.requestId()), notFound,
        "shard store of region " + region);
  }

  /**
   * True while a purchase stamped inside the sale may still be held at some node of this region, by
   * an estimate: a hold lasts {@code holdMs} from its first try's answer, and its last try at the
   * store (or its expiry) comes within another {@code holdMs} while the store answers promptly. A
   * store slower than that can still decide a held purchase later (see README, Known limits); a
   * marker of each hold in the shared shard store would make this exact.
   */
  private boolean holdsMayBeOpen(EventSpec spec, long stampMicros) {
    return stampMicros < spec.endMicros() + 2 * TimeUnit.MILLISECONDS.toMicros(config.holdMs());
  }

  /** HOME_REGION_ELSEWHERE unless this region is {@code userId}'s home for {@code spec}. */
  private Optional<Failure> homeElsewhere(EventSpec spec, String userId) {
    String home = ShardHome.of(userId, spec.regions());
    return home.equals(region) ? Optional.empty() : Optional.of(new Failure(ErrorReason.HOME_REGION_ELSEWHERE, "user "
        + userId + " buys event " + spec.eventId() + " in home region " + home + ", not " + region,
        Map.of("home_region", home)));
  }

  /** The purchase {@code requestId}, if it is held here waiting for stock (pending). */
  Optional<Ticket> heldTicket(EventSpec spec, String requestId) {
    Queue queue = events.get(spec.eventId());
    return queue == null ? Optional.empty() : queue.policy().heldTicket(requestId);
  }

  /** {@code call} hears what the held purchase {@code requestId} is answered (see {@link #heldTicket}). */
  void awaitHeld(EventSpec spec, String requestId, StreamObserver<PurchaseResponse> call) {
    events.get(spec.eventId()).policy().joinHeld(requestId, call);
  }

  /**
   * A held purchase, or a first try still at the store, is pending; otherwise the decision comes
   * from this region's shard. Purchases are decided only at the buyer's home region, so another
   * region answers PURCHASE_NOT_FOUND.
   */
  void getPurchase(EventSpec spec, String requestId, StreamObserver<GetPurchaseResponse> call) {
    Optional<Ticket> held = heldTicket(spec, requestId);
    if (held.isEmpty()) {
      Queue queue = events.get(spec.eventId());
      if (queue != null) held = queue.policy().atStoreTicket(requestId);
    }
    if (held.isPresent()) {
      Lookups.pending(call, held.get());
      return;
    }
    Lookups.answer(call, store.findShardDecision(spec.eventId(), region, requestId), "shard store of region "
        + region, spec.eventId(), requestId, "at region " + region + "; a SHARDED purchase is known at the buyer's home"
        + " region only");
  }

  private void carryOut(Queue queue, List<Step<StreamObserver<PurchaseResponse>>> steps) {
    for (var step : steps) {
      switch (step) {
        case Step.Buy<StreamObserver<PurchaseResponse>> buy -> buy(queue, buy);
        case Step.Report<StreamObserver<PurchaseResponse>> report -> report(queue, report);
        case Step.Expire<StreamObserver<PurchaseResponse>> expire -> Replies.fail(expire.handle(), Failure.of(
            ErrorReason.STOCK_IN_TRANSIT, "no stock reached region " + region + " for event " + queue.spec().eventId()
                + " within " + config.holdMs() + " ms; retry with the same request_id"));
        case Step.Check<StreamObserver<PurchaseResponse>> check -> check(queue, check);
        case Step.Unmark<StreamObserver<PurchaseResponse>> unmark -> store.clearWaiting(queue.spec(), region)
            .whenComplete((ok, failure) -> {
              // Left behind, the mark only sends first tries through a hold until a report is answered.
              if (failure != null) log.debug("event={} clearing the shard's waiting mark failed: {}", queue.spec().eventId(),
                  failure.toString());
            });
      }
    }
  }

  private void buy(Queue queue, Step.Buy<StreamObserver<PurchaseResponse>> buy) {
    CompletableFuture<BuyReply> bought = buy.purpose() == ShardHoldQueue.Purpose.OLDEST_HELD
        ? store.buyHeld(queue.spec(), buy.ticket(), buy.nextWaitingMicros())
        : store.buyShard(queue.spec(), buy.ticket(), buy.decideShort());
    bought.whenComplete((reply, failure) -> loop.execute(() -> {
      if (!queue.policy().awaits(buy)) return; // released (its buyer answered) while it was at the store
      ShardAnswer answer;
      if (failure != null) {
        answer = new ShardAnswer.Failed();
        Failure failed = Replies.storeDown("shard store of region " + region, failure);
        if (buy.failureAnswersBuyer()) {
          Replies.fail(buy.handle(), failed);
        } else if (failed.reason() != ErrorReason.POOL_LOST) {
          log.warn("event={} retry of held {} failed: {}", queue.spec().eventId(), buy.ticket().requestId(), failure.toString());
        }
        if (failed.reason() == ErrorReason.POOL_LOST) {
          // No stock will reach a lost shard: the held purchases hear why now, not STOCK_IN_TRANSIT later,
          // and the next purchases go to the store, which answers them the same.
          List<Step<StreamObserver<PurchaseResponse>>> steps = queue.policy().shardAnswered(buy, answer, loop.nanoTime());
          queue.policy().releaseAll().forEach(held -> Replies.fail(held.handle(), failed));
          carryOut(queue, steps);
          return;
        }
      } else if (reply instanceof BuyReply.Decided d) {
        answer = new ShardAnswer.Decided();
        Replies.decided(buy.handle(), buy.ticket(), d);
      } else {
        answer = new ShardAnswer.Short(((BuyReply.Short) reply).remainingUnits());
      }
      carryOut(queue, queue.policy().shardAnswered(buy, answer, loop.nanoTime()));
    }));
  }

  /** A purchase held behind others: answered now if the shard decides it without a unit, else it waits its turn. */
  private void check(Queue queue, Step.Check<StreamObserver<PurchaseResponse>> check) {
    Ticket ticket = check.held().ticket();
    store.decideWithoutStock(queue.spec(), ticket).whenComplete((reply, failure) -> loop.execute(() -> {
      if (failure != null) {
        log.debug("event={} check of held {} failed (it waits its turn): {}", queue.spec().eventId(), ticket.requestId(),
            failure.toString());
      } else if (reply instanceof BuyReply.Decided d && queue.policy().decidedWithoutStock(check)) {
        Replies.decided(check.held().handle(), ticket, d);
        carryOut(queue, queue.policy().unmarkIfIdle());
      }
    }));
  }

  private void tick() {
    long now = loop.nanoTime();
    events.values().removeIf(queue -> !queue.policy().active(now, QUIET_NANOS));
    for (Queue queue : List.copyOf(events.values())) carryOut(queue, queue.policy().tick(now));
  }

  private void report(Queue queue, Step.Report<StreamObserver<PurchaseResponse>> report) {
    String eventId = queue.spec().eventId();
    ReportShardRequest request = ReportShardRequest.newBuilder()
        .setRegion(region)
        .setNodeId(nodeId.get())
        .setEventId(eventId)
        .setRemainingUnits(report.remainingUnits())
        .setWaitingUnits(report.waitingUnits())
        .setDemandUnitsPerSecond(report.demandUnitsPerSecond())
        .setShardInUse(report.shardInUse())
        .build();
    ShardServiceGrpc.newStub(arbiter.apply(eventId)).withExecutor(loop).withDeadlineAfter(REPORT_DEADLINE_MS, TimeUnit.MILLISECONDS)
        .reportShard(request, new StreamObserver<>() {
          private OptionalLong unsold = OptionalLong.empty();

          @Override
          public void onNext(ReportShardResponse response) {
            if (response.getEventSoldOut() && !queue.policy().soldOut()) log.info("event={} sold out in every shard", eventId);
            unsold = OptionalLong.of(response.getEventSoldOut() ? 0 : response.getEventRemainingUnits());
          }

          @Override
          public void onError(Throwable t) {
            log.debug("event={} shard report failed: {}", eventId, t.toString());
            carryOut(queue, queue.policy().reportAnswered(OptionalLong.empty()));
          }

          @Override
          public void onCompleted() {
            carryOut(queue, queue.policy().reportAnswered(unsold));
          }
        });
  }

  /** Fails every held purchase (shutdown) and stops reporting. */
  void close(Failure failure) {
    timer.cancel();
    for (Queue queue : events.values()) queue.policy().releaseAll().forEach(h -> Replies.fail(h.handle(), failure));
  }

  void closeStore() {
    store.close();
  }
}
