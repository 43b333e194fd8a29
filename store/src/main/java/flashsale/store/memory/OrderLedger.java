package flashsale.store.memory;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderTransition.Kind;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import flashsale.sale.EventSpec;
import flashsale.store.StoreRejectedException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One event's order state in memory, with the same checks as the Redis function {@code
 * persist_orders}: a write is checked whole against a copy, then swapped in, or rejected with
 * nothing changed. Not thread-safe: {@link InMemoryOrderStore} guards it.
 */
final class OrderLedger {
  final OrderTerms terms;
  private Map<String, OrderRecord> orders = new LinkedHashMap<>();
  private Map<String, Long> heldByUser = new HashMap<>();
  private long sequence;
  /** The write stored last: a retry of it must carry the same content. */
  private OrderWrite lastWrite;
  private long enrolledThroughRank;
  private long joined;
  private long free;
  private long held;
  private long winUnits;
  private long unsoldFreed;
  final List<OrderTransition> outbox = new ArrayList<>();

  OrderLedger(OrderTerms terms) {
    this.terms = terms;
  }

  void apply(EventSpec spec, OrderWrite write) {
    if (write.sequence() == sequence && lastWrite != null && !lastWrite.equals(write)) {
      throw rejected(write, "write " + write.sequence() + " is stored with other transitions");
    }
    if (write.sequence() <= sequence) return; // a retry of a write already applied
    if (write.sequence() != sequence + 1) {
      throw rejected(write, "write " + write.sequence() + " follows stored write " + sequence);
    }
    OrderLedger next = copy();
    if (write.unsoldUnitsFreed() > 0) {
      // Freed ahead of the write's transitions (its promotions may use them); checked against the wins at its end.
      if (unsoldFreed > 0) throw rejected(write, "the unsold stock was freed already (" + unsoldFreed + ")");
      next.unsoldFreed = write.unsoldUnitsFreed();
      next.free += write.unsoldUnitsFreed();
    }
    for (OrderTransition t : write.transitions()) next.check(spec, write, t);
    if (write.unsoldUnitsFreed() > 0 && next.winUnits + next.unsoldFreed != spec.stock()) {
      throw rejected(write, write.unsoldUnitsFreed() + " unsold units freed, but " + next.winUnits + " of stock "
          + spec.stock() + " were won");
    }
    next.sequence = write.sequence();
    next.enrolledThroughRank = Math.max(enrolledThroughRank, write.enrolledThroughRank());
    for (OrderTransition t : write.transitions()) if (t.kind().inOutbox()) next.outbox.add(t);
    swapFrom(next);
    lastWrite = write;
  }

  private void check(EventSpec spec, OrderWrite write, OrderTransition t) {
    OrderRecord current = orders.get(t.requestId());
    PurchaseState from = current == null ? null : current.state();
    if (from != t.kind().from()) throw rejected(write, t.requestId() + " is " + from + ", not " + t.kind().from() + " for " + t.kind());
    long deadline = t.deadlineMicros();
    switch (t.kind()) {
      case ENROLLED_WIN -> {
        winUnits += t.quantity();
        hold(spec, write, t, t.quantity());
      }
      case WAITLISTED -> {
        if (joined >= terms.waitlistBound()) throw rejected(write, t.requestId() + " joins a full waitlist (" + joined + ")");
        joined++;
      }
      case PAID -> {
        if (t.atMicros() >= current.deadlineMicros()) throw rejected(write, t.requestId() + " paid at " + t.atMicros()
            + ", not before its deadline " + current.deadlineMicros());
        deadline = current.deadlineMicros();
      }
      case CANCELLED, EXPIRED -> {
        if (t.kind() == Kind.EXPIRED && t.atMicros() < current.deadlineMicros()) {
          throw rejected(write, t.requestId() + " expires at " + t.atMicros() + ", before its deadline " + current.deadlineMicros());
        }
        hold(spec, write, t, -t.quantity());
        free += t.quantity();
        deadline = current.deadlineMicros();
      }
      case LEFT_WAITLIST, WAITLIST_CLOSED -> { }
      case PROMOTED -> {
        if (t.quantity() > free) throw rejected(write, t.requestId() + " promoted to " + t.quantity() + " units, " + free + " free");
        free -= t.quantity();
        hold(spec, write, t, t.quantity());
      }
    }
    orders.put(t.requestId(), new OrderRecord(t.requestId(), t.userId(), t.quantity(), t.rank(), t.kind().to(), deadline));
  }

  private void hold(EventSpec spec, OrderWrite write, OrderTransition t, int units) {
    long user = heldByUser.merge(t.userId(), (long) units, Long::sum);
    held += units;
    if (user > spec.perUserLimit()) throw rejected(write, "user " + t.userId() + " would hold " + user + " units, over the limit");
    if (held > spec.stock() || winUnits + unsoldFreed > spec.stock()) {
      throw rejected(write, held + " units held, " + winUnits + " won and " + unsoldFreed + " unsold freed, over stock "
          + spec.stock());
    }
  }

  private static StoreRejectedException rejected(OrderWrite write, String why) {
    return new StoreRejectedException("order write " + write.sequence() + " of " + write.eventId() + ": " + why);
  }

  long joined() {
    return joined;
  }

  long enrolledThroughRank() {
    return enrolledThroughRank;
  }

  OrderSnapshot snapshot() {
    return new OrderSnapshot(Optional.of(terms), List.copyOf(orders.values()), free, sequence, enrolledThroughRank, joined,
        winUnits, unsoldFreed);
  }

  Optional<OrderRecord> find(String requestId) {
    return Optional.ofNullable(orders.get(requestId));
  }

  private OrderLedger copy() {
    OrderLedger c = new OrderLedger(terms);
    c.orders = new LinkedHashMap<>(orders);
    c.heldByUser = new HashMap<>(heldByUser);
    c.sequence = sequence;
    c.enrolledThroughRank = enrolledThroughRank;
    c.joined = joined;
    c.free = free;
    c.held = held;
    c.winUnits = winUnits;
    c.unsoldFreed = unsoldFreed;
    return c;
  }

  private void swapFrom(OrderLedger next) {
    orders = next.orders;
    heldByUser = next.heldByUser;
    sequence = next.sequence;
    enrolledThroughRank = next.enrolledThroughRank;
    joined = next.joined;
    free = next.free;
    held = next.held;
    winUnits = next.winUnits;
    unsoldFreed = next.unsoldFreed;
    outbox.addAll(next.outbox);
  }
}
