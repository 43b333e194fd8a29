package flashsale.arbiter.core.orders;

import flashsale.arbiter.core.orders.OrderAnswer.Outcome;
import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One event's life after the win: winners await payment until a deadline, then pay, cancel or
 * expire; losers for lack of stock wait on a bounded waitlist in their global decided order, and
 * units given back go to the earliest of them whose quantity fits (and whose user stays within the
 * per-user limit), each with a fresh deadline. A pure state machine: time is the {@code nowMicros}
 * passed in, and every change leaves as an {@link OrderWrite} that must be durable before anyone
 * is told ({@link OrderAnswer#durableAtSequence}). One write is in flight at a time; changes made
 * meanwhile go in the next.
 *
 * <p>Units given back stay free here (never back in the sale) until a waitlisted buyer fits. Nobody is
 * promoted while the sale itself may still sell ({@link #saleEnded}, or its stock all won): a sale win
 * decided meanwhile could take a promoted user past the per-user limit. Stock the sale never sold
 * (a buyer of several units lost for lack of stock while fewer were left) is freed for the
 * waitlist when the sale ends, beside the units given back.
 */
public final class OrderBook {
  private static final Comparator<Order> BY_DEADLINE =
      Comparator.<Order>comparingLong(o -> o.deadlineMicros).thenComparingLong(o -> o.rank);

  private final String eventId;
  private final long stock;
  private final int perUserLimit;
  private final OrderTerms terms;
  private final Map<String, Order> orders = new HashMap<>();
  private final TreeMap<Long, Order> waitlist = new TreeMap<>();
  /**
   * How many wait for each quantity: while the units free are fewer than the smallest, nobody fits
   * and the waitlist (up to twice the stock) is not walked, at every batch and change.
   */
  private final TreeMap<Integer, Integer> waitingByQuantity = new TreeMap<>();
  private final TreeSet<Order> awaitingByDeadline = new TreeSet<>(BY_DEADLINE);
  /** Units awaiting payment or paid, per user: what the per-user limit counts for a promotion. */
  private final Map<String, Long> heldByUser = new HashMap<>();
  /**
   * Units of every order a user has in the book, in any state (wins and waitlist places alike):
   * a loser for lack of stock gets a place only while this stays within the per-user limit, so
   * one user cannot fill the waitlist with requests it could never all be promoted for.
   */
  private final Map<String, Long> orderUnitsByUser = new HashMap<>();
  private long awaitingUnits;
  private long paidUnits;
  private long freeUnits;
  private long everWaitlisted;
  /** Units the sale's own wins took: while below the stock the sale may still sell. */
  private long enrolledWinUnits;
  /** Stock the sale never sold, freed for the waitlist at its end (once; wins plus these never pass the stock). */
  private long unsoldUnitsFreed;
  private boolean saleEnded;
  private long enrolledThroughRank;
  private final OrderWrites writes;

  /** A purchase in the lifecycle; mutable, owned by this book. */
  private static final class Order {
    final String requestId;
    final String userId;
    final int quantity;
    final long rank;
    PurchaseState state;
    long deadlineMicros;
    /** The write that holds its latest change. */
    long changedInSequence;

    Order(OrderRecord r) {
      this(r.requestId(), r.userId(), r.quantity(), r.rank(), r.state(), r.deadlineMicros());
    }

    Order(String requestId, String userId, int quantity, long rank, PurchaseState state, long deadlineMicros) {
      this.requestId = requestId;
      this.userId = userId;
      this.quantity = quantity;
      this.rank = rank;
      this.state = state;
      this.deadlineMicros = deadlineMicros;
    }
  }

  /** A book rebuilt from what the store holds (empty for a new event). */
  public OrderBook(String eventId, long stock, int perUserLimit, OrderTerms terms, OrderSnapshot stored) {
    this.eventId = eventId;
    this.stock = stock;
    this.perUserLimit = perUserLimit;
    this.terms = terms;
    this.freeUnits = stored.freeUnits();
    this.writes = new OrderWrites(eventId, stored.lastSequence(), stored.waitlistJoined(), stored.enrolledThroughRank());
    this.enrolledThroughRank = stored.enrolledThroughRank();
    this.everWaitlisted = stored.waitlistJoined();
    this.enrolledWinUnits = stored.enrolledWinUnits();
    this.unsoldUnitsFreed = stored.unsoldUnitsFreed();
    for (OrderRecord record : stored.orders()) {
      Order order = new Order(record);
      enter(order);
      orderUnitsByUser.merge(order.userId, (long) order.quantity, Long::sum);
    }
    checkInvariants();
  }

  public String eventId() {
    return eventId;
  }

  /**
   * A persisted batch's decisions, in rank order: wins start awaiting payment (deadline: decided
   * plus the window), losers for lack of stock join the waitlist while it has room and their user's
   * orders (wins and places) stay within the per-user limit; one passed over for its user is told
   * NOT_WAITLISTED once the write covering its rank is stored. Decisions at or below the ranks
   * already enrolled are skipped (a repeat after failover).
   */
  public List<OrderEffect> decided(List<Decision> decisions, long nowMicros) {
    List<OrderEffect> effects = new ArrayList<>();
    for (Decision d : decisions) {
      if (d.rank() <= enrolledThroughRank || orders.containsKey(d.requestId())) continue;
      enrolledThroughRank = d.rank();
      if (d.won() && d.unitsWon() > 0) {
        Order order = new Order(d.requestId(), d.ticket().userId(), d.unitsWon(), d.rank(),
            PurchaseState.AWAITING_PAYMENT, d.decideMicros() + terms.paymentWindowMicros());
        change(order, Kind.ENROLLED_WIN, order.deadlineMicros, nowMicros);
        enter(order);
        orderUnitsByUser.merge(order.userId, (long) order.quantity, Long::sum);
        enrolledWinUnits += order.quantity;
      } else if (lostForStock(d) && everWaitlisted < terms.waitlistBound()) {
        String userId = d.ticket().userId();
        if (orderUnitsByUser.getOrDefault(userId, 0L) + d.ticket().quantity() > perUserLimit) {
          writes.passOver(new OrderRecord(d.requestId(), userId, d.ticket().quantity(), d.rank(),
              PurchaseState.NOT_WAITLISTED, 0));
          continue;
        }
        everWaitlisted++;
        Order order = new Order(d.requestId(), userId, d.ticket().quantity(), d.rank(), PurchaseState.WAITLISTED, 0);
        change(order, Kind.WAITLISTED, 0, nowMicros);
        enter(order);
        orderUnitsByUser.merge(userId, (long) order.quantity, Long::sum);
      }
    }
    promote(nowMicros);
    flush(effects);
    return effects;
  }

  /** Only losers for lack of stock may wait for released units; a limit or a closed sale is final. */
  public static boolean lostForStock(Decision d) {
    return d.lossReason().forLackOfStock();
  }

  /**
   * The sale is over (past its end, nothing pending, every decision enrolled): released units may
   * go to the waitlist now, and so may the stock it never sold, which nobody else can take any more.
   */
  public List<OrderEffect> saleEnded(long nowMicros) {
    saleEnded = true;
    long unsoldUnits = stock - enrolledWinUnits - unsoldUnitsFreed;
    if (unsoldUnits > 0 && !waitlist.isEmpty()) {
      writes.freeUnsold(unsoldUnits);
      unsoldUnitsFreed += unsoldUnits;
      freeUnits += unsoldUnits;
    }
    List<OrderEffect> effects = new ArrayList<>();
    promote(nowMicros);
    flush(effects);
    return effects;
  }

  /** True once the sale can sell no more: from then on released units go to the waitlist. */
  public boolean promoting() {
    return saleEnded || enrolledWinUnits >= stock;
  }

  /** Pays a purchase awaiting payment before its deadline; at or past it the purchase expires instead. */
  public OrderAnswer confirm(String requestId, long nowMicros, List<OrderEffect> effects) {
    Order order = orders.get(requestId);
    if (order == null) return OrderAnswer.unknown();
    if (order.state == PurchaseState.AWAITING_PAYMENT) {
      if (nowMicros >= order.deadlineMicros) {
        expire(order, nowMicros);
      } else {
        leaveAwaiting(order);
        change(order, Kind.PAID, order.deadlineMicros, nowMicros);
        order.state = PurchaseState.PAID;
        paidUnits += order.quantity;
        hold(order, order.quantity);
      }
    }
    promote(nowMicros);
    flush(effects);
    return answer(order, PurchaseState.PAID);
  }

  /** Gives a purchase awaiting payment back (its units to the waitlist), or takes a buyer off the waitlist. */
  public OrderAnswer cancel(String requestId, long nowMicros, List<OrderEffect> effects) {
    Order order = orders.get(requestId);
    if (order == null) return OrderAnswer.unknown();
    if (order.state == PurchaseState.AWAITING_PAYMENT && nowMicros >= order.deadlineMicros) {
      expire(order, nowMicros);
    } else if (order.state == PurchaseState.AWAITING_PAYMENT) {
      leaveAwaiting(order);
      // The deadline stays, as the store keeps it: the order pushed and in the outbox is GetOrder's.
      change(order, Kind.CANCELLED, order.deadlineMicros, nowMicros);
      order.state = PurchaseState.CANCELLED;
      freeUnits += order.quantity;
    } else if (order.state == PurchaseState.WAITLISTED) {
      leaveWaitlist(order);
      change(order, Kind.LEFT_WAITLIST, 0, nowMicros);
      order.state = PurchaseState.CANCELLED;
    }
    promote(nowMicros);
    flush(effects);
    return answer(order, PurchaseState.CANCELLED);
  }

  /** Time passes: every purchase at or past its deadline unpaid expires, and its units move on. */
  public List<OrderEffect> tick(long nowMicros) {
    List<OrderEffect> effects = new ArrayList<>();
    boolean expired = false;
    while (!awaitingByDeadline.isEmpty() && awaitingByDeadline.first().deadlineMicros <= nowMicros) {
      expire(awaitingByDeadline.first(), nowMicros);
      expired = true;
    }
    if (expired) promote(nowMicros); // else nothing came free since the last change
    flush(effects);
    return effects;
  }

  /**
   * The store holds write {@code sequence}: its changes may be told, and the next write goes.
   *
   * @throws IllegalStateException when that write is not the one in flight (an adapter bug)
   */
  public List<OrderEffect> persisted(long sequence) {
    List<OrderEffect> effects = new ArrayList<>();
    effects.add(writes.persisted(sequence, terms.waitlistBound()));
    flush(effects);
    return effects;
  }

  /**
   * True once the store holds as many waitlist joins as the bound allows: a loser for lack of stock
   * that has no stored order by then is not waitlisted, and never will be.
   */
  public boolean durableWaitlistFull() {
    return writes.durableWaitlistJoins() >= terms.waitlistBound();
  }

  /**
   * True when a loser for lack of stock at {@code rank} with no stored order never gets one: the
   * stored waitlist is full, or the store holds the book enrolled past it (it was passed over).
   */
  public boolean durablyNotWaitlisted(long rank) {
    return durableWaitlistFull() || rank <= writes.durableEnrolledThroughRank();
  }

  /** The purchase's current state, if it is in the lifecycle. */
  public Optional<OrderRecord> find(String requestId) {
    Order o = orders.get(requestId);
    return o == null ? Optional.empty() : Optional.of(record(o));
  }

  private static OrderRecord record(Order o) {
    return new OrderRecord(o.requestId, o.userId, o.quantity, o.rank, o.state, o.deadlineMicros);
  }

  public long awaitingUnits() {
    return awaitingUnits;
  }

  public long paidUnits() {
    return paidUnits;
  }

  public long freeUnits() {
    return freeUnits;
  }

  public int waitlistLength() {
    return waitlist.size();
  }

  /**
   * Nothing can change any more by itself: nobody awaits payment and all is written. Units still
   * free then go to nobody: the waitlist closed (checked after every change).
   */
  public boolean settled() {
    return awaitingByDeadline.isEmpty() && writes.idle();
  }

  private void expire(Order order, long nowMicros) {
    leaveAwaiting(order);
    change(order, Kind.EXPIRED, order.deadlineMicros, nowMicros);
    order.state = PurchaseState.EXPIRED;
    freeUnits += order.quantity;
  }

  /**
   * Hands free units to the earliest waitlisted buyers that fit; never a later one ahead of an
   * earlier that fits. Once nobody awaits payment, no unit can come back (a payment is final), so
   * whoever is still waitlisted then is told the waitlist closed.
   */
  private void promote(long nowMicros) {
    if (!promoting()) {
      checkInvariants();
      return;
    }
    for (var it = waitlist.values().iterator(); it.hasNext() && someoneMayFit(); ) {
      Order order = it.next();
      if (!fits(order)) continue;
      it.remove();
      uncount(order);
      freeUnits -= order.quantity;
      order.state = PurchaseState.AWAITING_PAYMENT;
      order.deadlineMicros = nowMicros + terms.paymentWindowMicros();
      change(order, Kind.PROMOTED, order.deadlineMicros, nowMicros);
      enter(order);
    }
    if (awaitingByDeadline.isEmpty()) {
      for (Order order : waitlist.values()) {
        change(order, Kind.WAITLIST_CLOSED, 0, nowMicros);
        order.state = PurchaseState.WAITLIST_CLOSED;
      }
      waitlist.clear();
      waitingByQuantity.clear();
    }
    checkInvariants();
  }

  /** The units free cover the smallest quantity waiting (its user's limit aside). */
  private boolean someoneMayFit() {
    return freeUnits > 0 && !waitingByQuantity.isEmpty() && waitingByQuantity.firstKey() <= freeUnits;
  }

  private void leaveWaitlist(Order order) {
    waitlist.remove(order.rank);
    uncount(order);
  }

  private void uncount(Order order) {
    waitingByQuantity.merge(order.quantity, -1, (had, minus) -> had + minus == 0 ? null : had + minus);
  }

  private boolean fits(Order waiting) {
    return waiting.quantity <= freeUnits && heldByUser.getOrDefault(waiting.userId, 0L) + waiting.quantity <= perUserLimit;
  }

  /** Counts an order in the state it now has. */
  private void enter(Order order) {
    orders.put(order.requestId, order);
    switch (order.state) {
      case AWAITING_PAYMENT -> {
        awaitingByDeadline.add(order);
        awaitingUnits += order.quantity;
        hold(order, order.quantity);
      }
      case PAID -> {
        paidUnits += order.quantity;
        hold(order, order.quantity);
      }
      case WAITLISTED -> {
        waitlist.put(order.rank, order);
        waitingByQuantity.merge(order.quantity, 1, Integer::sum);
      }
      default -> { }
    }
  }

  private void leaveAwaiting(Order order) {
    if (!awaitingByDeadline.remove(order)) throw new IllegalStateException(order.requestId + " is not awaiting payment");
    awaitingUnits -= order.quantity;
    hold(order, -order.quantity);
  }

  /** Counts units the order's user holds; checked where it changes, not for every user at every step. */
  private void hold(Order order, long units) {
    long heldUnits = heldByUser.merge(order.userId, units, Long::sum);
    if (heldUnits < 0 || heldUnits > perUserLimit) {
      throw new IllegalStateException("event " + eventId + ": user " + order.userId + " holds " + heldUnits
          + " units after " + order.requestId + ", limit " + perUserLimit);
    }
  }

  private void change(Order order, Kind kind, long deadlineMicros, long nowMicros) {
    order.changedInSequence = writes.add(
        new OrderTransition(kind, order.requestId, order.userId, order.quantity, order.rank, deadlineMicros, nowMicros));
  }

  private void flush(List<OrderEffect> effects) {
    writes.flush(enrolledThroughRank, effects);
  }

  private OrderAnswer answer(Order order, PurchaseState wanted) {
    long durableAt = order.changedInSequence > writes.durableSequence() ? order.changedInSequence : 0;
    return new OrderAnswer(order.state == wanted ? Outcome.DONE : Outcome.REFUSED, Optional.of(record(order)), durableAt);
  }

  /**
   * Every unit the sale's wins took, and the unsold stock freed at its end, is paid, awaiting
   * payment or free, never lost (an undersell) nor made, and they never pass stock; no released
   * unit waits while a waitlisted buyer could take it.
   */
  private void checkInvariants() {
    if (freeUnits < 0 || paidUnits + awaitingUnits + freeUnits != enrolledWinUnits + unsoldUnitsFreed
        || enrolledWinUnits + unsoldUnitsFreed > stock) {
      throw new IllegalStateException("event " + eventId + ": paid " + paidUnits + " + awaiting " + awaitingUnits
          + " + free " + freeUnits + " is not the " + enrolledWinUnits + " units won and " + unsoldUnitsFreed
          + " unsold freed (stock " + stock + ")");
    }
    if (waitingByQuantity.values().stream().mapToInt(Integer::intValue).sum() != waitlist.size()) {
      throw new IllegalStateException("event " + eventId + ": " + waitlist.size() + " waitlisted, counted by quantity as "
          + waitingByQuantity);
    }
    if (promoting() && awaitingByDeadline.isEmpty() && !waitlist.isEmpty()) {
      throw new IllegalStateException("event " + eventId + ": nobody awaits payment, yet " + waitlist.size()
          + " still wait for units that cannot come back");
    }
    if (someoneMayFit() && promoting()) {
      for (Order waiting : waitlist.values()) {
        if (fits(waiting)) {
          throw new IllegalStateException("event " + eventId + ": " + freeUnits + " units free while " + waiting.requestId
              + " waits for " + waiting.quantity);
        }
      }
    }
  }
}
