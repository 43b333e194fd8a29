package flashsale.system.sim;

import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One event's orders as the store's accepted writes leave them, kept by {@link SimOrderOracle}
 * apart from the production classes: purchases and their states, the waitlist by rank, units held
 * per user, paid, awaiting and released units, and the outbox in write order.
 */
final class SimOrderModel {
  /** One purchase in the lifecycle. */
  static final class Purchase {
    final OrderTransition enrolled;
    PurchaseState state;
    long deadlineMicros;

    Purchase(OrderTransition enrolled) {
      this.enrolled = enrolled;
      this.state = enrolled.kind().to();
      this.deadlineMicros = enrolled.deadlineMicros();
    }
  }

  final EventSpec spec;
  final OrderTerms terms;
  final Map<String, Purchase> orders = new HashMap<>();
  final TreeMap<Long, Purchase> waitlist = new TreeMap<>();
  final Map<String, Long> heldByUser = new HashMap<>();
  final List<OrderTransition> outbox = new ArrayList<>();
  /** Stored decisions: wins not enrolled yet, and losers for lack of stock by rank. */
  final Map<String, Decision> winsToEnrol = new HashMap<>();
  final TreeMap<Long, Decision> stockLosers = new TreeMap<>();
  /** Per user, the units of its stored wins and of its waitlist joins, by rank: what the limit counts for a place. */
  final Map<String, TreeMap<Long, Integer>> orderUnitsByUserByRank = new HashMap<>();
  long sequence;
  long paid;
  long awaiting;
  long free;
  long winUnits;
  /** Stock the sale never sold, freed for the waitlist at its end. */
  long unsoldFreed;
  long joined;
  long lastJoinedRank;
  boolean saleEnded;
  /** The sale ends within the run: its waitlist is settled only after the end. */
  boolean endsInRun;

  SimOrderModel(EventSpec spec, OrderTerms terms) {
    this.spec = spec;
    this.terms = terms;
  }

  /** Counts {@code units} of an order of {@code user} at {@code rank} (a stored win, or a waitlist join). */
  void countOrderUnits(String user, long rank, int units) {
    orderUnitsByUserByRank.computeIfAbsent(user, u -> new TreeMap<>()).put(rank, units);
  }

  /** A loser for lack of stock may take a place: its user's wins and places ranked before it, plus it, within the limit. */
  boolean mayWait(Decision loser) {
    return unitsBefore(loser, false) + loser.ticket().quantity() <= spec.perUserLimit();
  }

  /** Units of the loser's user's stored wins (and, unless {@code winsOnly}, waitlist joins) ranked before it. */
  private long unitsBefore(Decision loser, boolean winsOnly) {
    TreeMap<Long, Integer> units = orderUnitsByUserByRank.get(loser.ticket().userId());
    if (units == null) return 0;
    return units.headMap(loser.rank(), false).entrySet().stream()
        .filter(e -> !winsOnly || !stockLosers.containsKey(e.getKey())).mapToLong(e -> e.getValue()).sum();
  }

  /**
   * How many the waitlist takes of the stored losers for lack of stock: in rank order, those whose
   * user stays within the limit, up to the bound (the joins made so far stand for themselves).
   */
  long joinsDue() {
    long due = 0;
    Map<String, Long> simulatedJoins = new HashMap<>();
    for (Decision d : stockLosers.values()) {
      if (due >= terms.waitlistBound()) break;
      String user = d.ticket().userId();
      long held = unitsBefore(d, true) + simulatedJoins.getOrDefault(user, 0L);
      if (held + d.ticket().quantity() > spec.perUserLimit()) continue;
      simulatedJoins.merge(user, (long) d.ticket().quantity(), Long::sum);
      due++;
    }
    return due;
  }

  /** Released units may go to the waitlist: the sale is over, or its stock all won. */
  boolean promoting() {
    return saleEnded || winUnits >= spec.stock();
  }

  /** The waiting buyer's quantity is within the released units, and its user within the per-user limit. */
  boolean fits(Purchase p) {
    OrderTransition t = p.enrolled;
    return t.quantity() <= free && heldByUser.getOrDefault(t.userId(), 0L) + t.quantity() <= spec.perUserLimit();
  }

  Purchase enter(OrderTransition t) {
    Purchase p = new Purchase(t);
    orders.put(t.requestId(), p);
    return p;
  }

  void hold(Purchase p, long units) {
    long held = heldByUser.merge(p.enrolled.userId(), units, Long::sum);
    if (held > spec.perUserLimit()) throw new AssertionError(p.enrolled.userId() + " holds " + held + " units");
  }
}
