package flashsale.system.sim;

import flashsale.loop.LoopScheduler;
import flashsale.region.core.Answer;
import flashsale.region.core.BuyRequest;
import flashsale.region.core.Failure;
import flashsale.region.core.Admission;
import flashsale.region.core.PurchaseRules;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardDemand;
import flashsale.shard.ShardHoldQueue;
import flashsale.shard.ShardHoldQueue.ShardAnswer;
import flashsale.shard.ShardHoldQueue.Step;
import flashsale.shard.ShardHome;
import flashsale.store.BuyReply;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * SHARDED mode at one simulated region node: the production {@link ShardHoldQueue} per event,
 * carried out as {@code ShardSeller} and {@code ModeSellers} carry it out, written again for
 * domain messages: the sale rules and the home region checked, purchases bought at the region's
 * {@link SimShardStore}, reports to the arbiter of the link's current channel over {@link SimNet},
 * answers to the buyers' open calls. One per process; a crash fails every open call.
 */
final class SimShardSeller {
  /** One event's queue with its spec. */
  private record Queue(EventSpec spec, ShardHoldQueue<SimRegionNode.Call> policy) {}

  private final SimRegionNode node;
  private final SimShards shards;
  private final SimNet net;
  private final Map<String, Queue> events = new HashMap<>();
  /** Calls not answered yet: held, or at the store. */
  private final Set<SimRegionNode.Call> open = new LinkedHashSet<>();
  private LoopScheduler.Timer timer;

  SimShardSeller(SimRegionNode node, SimShards shards, SimNet net) {
    this.node = node;
    this.shards = shards;
    this.net = net;
  }

  /** A purchase of a SHARDED event, stamped at {@code stampMicros} ({@code ModeSellers.purchase}, then {@code ShardSeller.purchase}). */
  void purchase(EventSpec spec, BuyRequest buy, long stampMicros, SimRegionNode.Call call) {
    Optional<Failure> broken = PurchaseRules.checkSaleRules(spec, node.region, buy, stampMicros);
    if (broken.isPresent()) {
      call.accept(new Admission.Failed(broken.get()));
      return;
    }
    Ticket ticket = new Ticket(buy.eventId(), buy.requestId(), buy.userId(), buy.quantity(), node.region, stampMicros);
    String home = ShardHome.of(ticket.userId(), spec.regions());
    if (!home.equals(node.region)) {
      call.accept(new Admission.Failed(new Failure(ErrorReason.HOME_REGION_ELSEWHERE, "user " + ticket.userId()
          + " buys event " + spec.eventId() + " in home region " + home + ", not " + node.region, Map.of("home_region", home))));
      return;
    }
    if (timer == null) timer = node.loop.every(this::tick, shards.reportIntervalMs); // production's runs from the start
    long now = node.loop.nanoTime();
    Queue queue = events.computeIfAbsent(spec.eventId(), id -> new Queue(spec, new ShardHoldQueue<>(
        id, spec.shardUnitsOf(node.region), TimeUnit.MILLISECONDS.toNanos(shards.holdMs), now)));
    open.add(call);
    List<Step<SimRegionNode.Call>> steps = queue.policy().purchase(ticket, call, now);
    shards.oracle.queued(node.name, ticket, steps);
    carryOut(queue, steps);
  }

  int openCalls() {
    return open.size();
  }

  /** Each event's queue, for a failure's message. */
  String describe() {
    StringBuilder s = new StringBuilder();
    events.forEach((id, q) -> s.append(' ').append(id).append(":held=").append(q.policy().heldCount())
        .append(q.policy().soldOut() ? ",soldOut" : ""));
    return s.toString();
  }

  /** The process died: every open call fails (its buyer retries). */
  void crashed(Failure failure) {
    List.copyOf(open).forEach(c -> answer(c, new Admission.Failed(failure)));
    shards.oracle.crashed(node.name);
  }

  private void carryOut(Queue queue, List<Step<SimRegionNode.Call>> steps) {
    shards.oracle.issued(node.name, steps);
    for (var step : steps) {
      switch (step) {
        case Step.Buy<SimRegionNode.Call> buy -> buy(queue, buy);
        case Step.Report<SimRegionNode.Call> report -> report(queue, report);
        case Step.Expire<SimRegionNode.Call> expire -> answer(expire.handle(), new Admission.Failed(Failure.of(
            ErrorReason.STOCK_IN_TRANSIT, "no stock reached region " + node.region + " for event "
                + queue.spec().eventId() + " within " + shards.holdMs + " ms; retry with the same request_id")));
        case Step.Check<SimRegionNode.Call> check -> check(queue, check);
        case Step.Unmark<SimRegionNode.Call> unmark -> {
          SimShardStore store = shards.store(node.region);
          store.call(node.loop, shards.localMicros(), () -> {
            store.memory.clearWaiting(queue.spec(), node.region).join();
            return true;
          }, done -> {});
        }
      }
    }
  }

  private void buy(Queue queue, Step.Buy<SimRegionNode.Call> buy) {
    SimShardStore store = shards.store(node.region);
    store.call(node.loop, shards.localMicros(), () -> {
      BuyReply reply = (buy.purpose() == flashsale.shard.ShardHoldQueue.Purpose.OLDEST_HELD
          ? store.memory.buyHeld(queue.spec(), buy.ticket(), buy.nextWaitingMicros())
          : store.memory.buyShard(queue.spec(), buy.ticket(), buy.decideShort())).join();
      shards.oracle.stored(queue.spec(), reply);
      return reply;
    }, reply -> {
      ShardAnswer answer;
      if (reply.isEmpty()) {
        answer = new ShardAnswer.Failed();
        if (buy.failureAnswersBuyer()) {
          answer(buy.handle(), new Admission.Failed(Failure.of(ErrorReason.STORE_UNAVAILABLE,
              "shard store of region " + node.region + " did not answer; retry with the same request_id")));
        }
      } else if (reply.get() instanceof BuyReply.Decided d) {
        answer = new ShardAnswer.Decided();
        decided(buy.handle(), buy.ticket(), d);
      } else {
        answer = new ShardAnswer.Short(((BuyReply.Short) reply.get()).remainingUnits());
      }
      List<Step<SimRegionNode.Call>> steps = queue.policy().shardAnswered(buy, answer, node.loop.nanoTime());
      shards.oracle.shardAnswered(node.name, buy, answer);
      carryOut(queue, steps);
    });
  }

  /** As {@code ShardSeller.check}: decided now only if the shard decides it without a unit. */
  private void check(Queue queue, Step.Check<SimRegionNode.Call> check) {
    SimShardStore store = shards.store(node.region);
    Ticket ticket = check.held().ticket();
    store.call(node.loop, shards.localMicros(), () -> {
      BuyReply reply = store.memory.decideWithoutStock(queue.spec(), ticket).join();
      shards.oracle.stored(queue.spec(), reply);
      return reply;
    }, reply -> {
      if (reply.isPresent() && reply.get() instanceof BuyReply.Decided d && queue.policy().decidedWithoutStock(check)) {
        shards.oracle.decidedWithoutStock(node.name, ticket);
        decided(check.held().handle(), ticket, d);
        carryOut(queue, queue.policy().unmarkIfIdle());
      }
    });
  }

  /** As {@code Replies.decided}: a retry whose stored purchase differs is a reused request id. */
  private void decided(SimRegionNode.Call call, Ticket asked, BuyReply.Decided reply) {
    if (reply.retry() && !reply.decision().ticket().samePurchaseAs(asked)) {
      answer(call, new Admission.Failed(Failure.of(ErrorReason.REQUEST_ID_REUSED, "request_id "
          + asked.requestId() + " was already used with another event, user or quantity")));
      return;
    }
    answer(call, new Admission.Decided(new Answer.Ranked(reply.decision())));
  }

  private void answer(SimRegionNode.Call call, Admission.Settled result) {
    open.remove(call);
    call.accept(result);
  }

  private void tick() {
    long now = node.loop.nanoTime();
    events.values().removeIf(queue -> !queue.policy().active(now, TimeUnit.MILLISECONDS.toNanos(shards.quietMs)));
    for (Queue queue : List.copyOf(events.values())) carryOut(queue, queue.policy().tick(now));
  }

  /** The report goes to the arbiter the link uses now, as {@code ShardSeller} reports on the link's channel. */
  private void report(Queue queue, Step.Report<SimRegionNode.Call> report) {
    String eventId = queue.spec().eventId();
    ShardDemand demand = new ShardDemand(node.region, report.remainingUnits(), report.waitingUnits(),
        report.demandUnitsPerSecond());
    SimArbiter arbiter = node.currentArbiter();
    net.<Long>call(node, arbiter, shards.reportDeadlineMicros, () -> shards.oracle.count("shard reports lost"),
        answer -> arbiter.reportShard(eventId, demand, unsold -> answer.accept(unsold.isPresent()
            ? Optional.of(unsold.getAsLong()) : Optional.empty())), unsold -> {
          if (unsold.isEmpty()) shards.oracle.count("shard reports unanswered");
          carryOut(queue, queue.policy().reportAnswered(unsold.map(OptionalLong::of).orElse(OptionalLong.empty())));
        });
  }
}
