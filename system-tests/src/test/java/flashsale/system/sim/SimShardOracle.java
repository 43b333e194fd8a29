package flashsale.system.sim;

import flashsale.region.core.Answer;
import flashsale.region.core.BuyRequest;
import flashsale.region.core.Admission;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.EventAccount;
import flashsale.shard.ShardHoldQueue.Purpose;
import flashsale.shard.ShardHoldQueue.ShardAnswer;
import flashsale.shard.ShardHoldQueue.Step;
import flashsale.shard.ShardHome;
import flashsale.store.BuyReply;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The simulation's view of the SHARDED rules, fed by the shard stores, the region nodes' sellers
 * and the coordinators:
 * <ul>
 *   <li>after every store call: units sold + units in shards + units in transit = the stock, so
 *       nothing is oversold and no transfer loses or doubles a unit; at the end every unit is sold
 *       and none is in transit;
 *   <li>one decision per request id over all shards; a retry gets the stored decision; every
 *       answer a buyer gets is the stored decision (durable before told), the same each time;
 *   <li>the per-user limit over all shards;
 *   <li>no purchase goes to its shard while one stamped earlier is held at its node, unless it
 *       asks more than the whole event has left (it can only lose), so no later purchase can win
 *       ahead of a held one;
 *   <li>a coordinator never says the event has fewer units left than it has (so sold out
 *       everywhere only once every unit is sold);
 *   <li>only the failures a buyer retries, and HOME_REGION_ELSEWHERE only away from home.
 * </ul>
 */
final class SimShardOracle {
  private final SimShards shards;
  private final Consumer<String> count;
  private final Map<String, EventSpec> specs = new LinkedHashMap<>();
  private final Map<String, Decision> decided = new HashMap<>();
  private final Map<String, Long> unitsByUser = new HashMap<>();
  private final Map<String, Decision> answered = new HashMap<>();
  /** Per node, the purchases held there (waiting for stock), as the steps show them. */
  private final Map<String, List<Ticket>> held = new HashMap<>();

  SimShardOracle(SimShards shards, Consumer<String> count) {
    this.shards = shards;
    this.count = count;
  }

  void count(String what) {
    count.accept(what);
  }

  void created(EventSpec spec) {
    specs.put(spec.eventId(), spec);
    count("sharded events");
    if (spec.shardUnits().containsValue(0L)) count("sharded events with an empty shard at the start");
  }

  private static String key(String eventId, String id) {
    return eventId + "/" + id;
  }

  /** The whole stock of the event, as every shard holds it now. */
  EventAccount account(EventSpec spec) {
    return EventAccount.of(spec.regions().stream().map(r -> shards.store(r).memory.shard(spec, r).snapshot()).toList());
  }

  /** A store carried out a call: every event's stock is still whole. */
  void storeCalled() {
    for (EventSpec spec : specs.values()) {
      EventAccount account = account(spec);
      if (account.remainingUnits() + account.soldUnits() + account.inFlightUnits() != spec.stock()) {
        throw new AssertionError("stock of " + spec.eventId() + " not conserved: " + account + ", stock " + spec.stock());
      }
    }
  }

  /** A shard store answered a buy. */
  void stored(EventSpec spec, BuyReply reply) {
    if (!(reply instanceof BuyReply.Decided(Decision d, boolean retry))) {
      count("shard buys answered short");
      return;
    }
    String key = key(spec.eventId(), d.requestId());
    if (retry) {
      if (!d.equals(decided.get(key))) throw new AssertionError("retry of " + key + " got " + d + " not " + decided.get(key));
      count("sharded retries answered alike by the store");
      return;
    }
    Decision earlier = decided.putIfAbsent(key, d);
    if (earlier != null) throw new AssertionError("request decided twice: " + earlier + " and " + d);
    if (!d.won()) {
      count("sharded purchases lost for " + d.lossReason());
      return;
    }
    long units = unitsByUser.merge(key(spec.eventId(), d.ticket().userId()), (long) d.unitsWon(), Long::sum);
    if (units > spec.perUserLimit()) {
      throw new AssertionError("user " + d.ticket().userId() + " holds " + units + " > limit " + spec.perUserLimit());
    }
  }

  // ---- the hold queues' order ----

  /** A purchase entered its node's queue: held at once unless it goes to the store. */
  void queued(String node, Ticket ticket, List<? extends Step<?>> steps) {
    if (steps.isEmpty()) { // a retry joined the purchase it repeats, held there: one more place with its ticket
      List<Ticket> tickets = held.getOrDefault(node, List.of());
      Ticket first = tickets.stream().filter(t -> t.eventId().equals(ticket.eventId())
          && t.requestId().equals(ticket.requestId())).findFirst()
          .orElseThrow(() -> new AssertionError(node + " took " + ticket + " with no step, holding no purchase it repeats"));
      tickets.add(first);
      count("sharded retries joined to their held purchase");
      return;
    }
    if (steps.stream().noneMatch(s -> s instanceof Step.Buy<?> b && b.ticket() == ticket)) {
      held.computeIfAbsent(node, n -> new ArrayList<>()).add(ticket);
      count("sharded purchases queued behind a held one");
    }
  }

  /** The store answered a buy of {@code node}. */
  void shardAnswered(String node, Step.Buy<?> buy, ShardAnswer answer) {
    if (buy.purpose() == Purpose.FIRST_TRY && answer instanceof ShardAnswer.Short) {
      held.computeIfAbsent(node, n -> new ArrayList<>()).add(buy.ticket());
      count("sharded purchases held for borrowed stock");
    }
    if (buy.purpose() == Purpose.OLDEST_HELD && answer instanceof ShardAnswer.Decided) {
      release(node, buy.ticket());
      count("held purchases decided on a retry");
    }
  }

  /** Steps a node's queue gave: no buy that could win may pass a purchase held there with an earlier stamp. */
  void issued(String node, List<? extends Step<?>> steps) {
    for (Step<?> step : steps) {
      switch (step) {
        case Step.Buy<?> buy when buy.purpose() == Purpose.BEYOND_STOCK -> {
          release(node, buy.ticket());
          boolean unitsLeft = account(specs.get(buy.ticket().eventId())).unsoldUnits() > 0;
          count(unitsLeft ? "held purchases lost asking more than the event had left" : "held purchases lost once sold out everywhere");
        }
        case Step.Buy<?> buy when !buy.decideShort() -> {
          for (Ticket h : held.getOrDefault(node, List.of())) {
            if (h.eventId().equals(buy.ticket().eventId()) && h.stampMicros() < buy.ticket().stampMicros()) {
              throw new AssertionError(node + " sent " + buy.ticket() + " (" + buy.purpose() + ") to its shard while "
                  + h + ", stamped earlier, is held there");
            }
          }
        }
        case Step.Expire<?> expire -> release(node, expire.ticket());
        default -> {}
      }
    }
  }

  /** A held purchase the shard decided without a unit (a retry, a buyer past the limit) left its node's queue. */
  void decidedWithoutStock(String node, Ticket ticket) {
    release(node, ticket);
    count("held purchases decided without a unit");
  }

  private void release(String node, Ticket ticket) {
    List<Ticket> tickets = held.getOrDefault(node, List.of());
    if (!tickets.remove(ticket)) throw new AssertionError(node + " released " + ticket + ", which it did not hold");
  }

  void crashed(String node) {
    held.remove(node);
  }

  // ---- what the regions hear ----

  /**
   * A coordinator tells a region how many units the whole event has left: never fewer than there
   * are (held purchases asking more lose on it; none may lose while units they could win are left).
   */
  void unsoldTold(String arbiter, String eventId, long units) {
    EventAccount now = account(specs.get(eventId));
    if (units < now.unsoldUnits()) throw new AssertionError(arbiter + " said " + eventId + " has " + units + " left but " + now);
    if (units == 0) count("sold out everywhere told");
  }

  /** A buyer's call at {@code node} ended; true if it got a decision (other answers are errors it retries). */
  boolean answered(SimRegionNode node, EventSpec spec, BuyRequest request, Admission.Settled result) {
    String requestId = request.requestId();
    String key = key(spec.eventId(), requestId);
    switch (result) {
      case Admission.Decided(Answer.Ranked(Decision d)) -> {
        if (!d.equals(decided.get(key))) throw new AssertionError("buyer at " + node.name + " told " + d + " but "
            + "the shards hold " + decided.get(key));
        Decision first = answered.putIfAbsent(key, d);
        if (first != null) count("sharded purchases answered again alike");
        return true;
      }
      case Admission.Failed f -> {
        switch (f.failure().reason()) {
          case STOCK_IN_TRANSIT -> count("shard holds run out (STOCK_IN_TRANSIT)");
          case STORE_UNAVAILABLE -> count("sharded purchases failed on the store");
          case SHUTTING_DOWN, ARBITER_UNAVAILABLE, EVENT_NOT_FOUND -> count("purchases failed on a down region");
          case HOME_REGION_ELSEWHERE -> {
            String home = f.failure().metadata().get("home_region");
            if (home.equals(node.region) || !home.equals(ShardHome.of(request.userId(), spec.regions()))) {
              throw new AssertionError(node.name + " sent " + requestId + " home to " + home);
            }
            count("sharded purchases sent to their home region");
          }
          default -> throw new AssertionError("buyer at " + node.name + " got " + f.failure());
        }
        return false;
      }
    }
  }

  /** At the end: with demand above stock, every unit sold and none left in transit. */
  void checkEnd() {
    for (EventSpec spec : specs.values()) {
      EventAccount end = account(spec);
      if (end.soldUnits() != spec.stock() || end.inFlightUnits() != 0) {
        throw new AssertionError("undersold " + spec.eventId() + ": " + end + " of stock " + spec.stock());
      }
      long won = decided.values().stream().filter(d -> d.eventId().equals(spec.eventId())).mapToLong(Decision::unitsWon).sum();
      if (won != spec.stock()) throw new AssertionError(spec.eventId() + " decisions won " + won + " of " + spec.stock());
    }
    held.forEach((node, tickets) -> {
      if (!tickets.isEmpty()) throw new AssertionError(node + " still holds " + tickets);
    });
  }
}
