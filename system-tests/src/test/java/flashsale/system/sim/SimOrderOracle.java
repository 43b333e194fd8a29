package flashsale.system.sim;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.store.OrderStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The simulation's independent view of life after the win (issue 15), for events with a payment
 * window: it replays every order write the store accepts, transition by transition, on its own
 * model and checks, at each one,
 * <ul>
 *   <li>units paid plus awaiting payment never pass the stock (and paid + awaiting + released equals
 *       the units the wins took plus the unsold stock freed once the sale ended, which with them
 *       makes the stock: the waitlist is never closed while units the sale never sold are held back);
 *   <li>each transition leaves the state it must (so none happens twice, and no buyer is promoted
 *       twice: a promotion leaves WAITLISTED, which nothing enters again), a payment is made before
 *       its deadline by a confirm applied at that moment, a cancel by a cancel, an expiry
 *       at or after it, deadlines are the decision's (or the promotion's) plus the window;
 *   <li>the waitlist is joined by losers for lack of stock, in decided order, within its bound;
 *   <li>a promotion goes to the earliest waitlisted buyer that fits (its quantity within the units
 *       released, its user within the per-user limit), never while the sale may still sell;
 * </ul>
 * and after each write, that no released unit is left while a waitlisted buyer fits. Every answer
 * a buyer gets is the state the store holds (durable before told), and the same each time. At the
 * end the store's orders and outbox are exactly the model's ({@link #checkEnd}).
 */
final class SimOrderOracle {
  private final Consumer<String> count;
  private final Map<String, SimOrderModel> books = new LinkedHashMap<>();
  /** Arbiter times at which a confirm (PAID) or a cancel (CANCELLED) of a purchase was applied to a book. */
  private final Map<String, Set<Long>> applied = new HashMap<>();
  /** The first final answer each buyer got, per purchase and call kind. */
  private final Map<String, PurchaseState> answers = new HashMap<>();
  private OrderStore store;

  SimOrderOracle(Consumer<String> count) {
    this.count = count;
  }

  void store(OrderStore store) {
    this.store = store;
  }

  private static String key(String eventId, String requestId) {
    return eventId + "/" + requestId;
  }

  /** @param endsInRun the sale ends within the run: it settles only once its end has reached the book */
  void created(EventSpec spec, OrderTerms terms, boolean endsInRun) {
    SimOrderModel book = new SimOrderModel(spec, terms);
    book.endsInRun = endsInRun;
    books.put(spec.eventId(), book);
    count.accept("events with a payment window");
  }

  boolean hasWindow(String eventId) {
    return books.containsKey(eventId);
  }

  /** The store holds this decision (once per request): the book must enrol a win, and wait-list a loser for stock. */
  void decided(Decision d) {
    SimOrderModel book = books.get(d.eventId());
    if (book == null) return;
    if (d.won()) {
      book.winsToEnrol.put(d.requestId(), d);
      book.countOrderUnits(d.ticket().userId(), d.rank(), d.unitsWon());
    } else if (d.lossReason() == LossReason.SOLD_OUT || d.lossReason() == LossReason.INSUFFICIENT_STOCK) {
      book.stockLosers.put(d.rank(), d);
    }
  }

  /** An arbiter's sequencer let the event go (past its end): released units may be promoted from now on. */
  void saleEnded(String eventId) {
    SimOrderModel book = books.get(eventId);
    if (book != null) book.saleEnded = true;
  }

  /** A confirm ({@code PAID}) or cancel ({@code CANCELLED}) was handed to a book at arbiter time {@code atMicros}. */
  void applied(String eventId, String requestId, PurchaseState wanted, long atMicros) {
    applied.computeIfAbsent(key(eventId, requestId) + "/" + wanted, k -> new HashSet<>()).add(atMicros);
  }

  /** The store accepted this write; false for a retry (at or below its sequence), which wrote nothing. */
  boolean written(OrderWrite write) {
    SimOrderModel book = books.get(write.eventId());
    if (book == null) throw new AssertionError("order write for " + write.eventId() + ", which has no payment window");
    if (write.sequence() <= book.sequence) {
      count.accept("order writes repeated");
      return false;
    }
    if (write.sequence() != book.sequence + 1) throw new AssertionError("order write " + write + " after " + book.sequence);
    book.sequence = write.sequence();
    if (write.unsoldUnitsFreed() > 0) {
      if (!book.saleEnded || book.unsoldFreed > 0 || book.waitlist.isEmpty()) {
        throw new AssertionError(write.eventId() + ": " + write.unsoldUnitsFreed() + " unsold units freed before the sale"
            + " ended, twice or for an empty waitlist (in " + write + ")");
      }
      book.unsoldFreed = write.unsoldUnitsFreed();
      book.free += book.unsoldFreed;
      count.accept("sales ended with unsold units freed for the waitlist");
    }
    for (OrderTransition t : write.transitions()) {
      try {
        apply(book, t);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + " (in " + write + ")", e);
      }
      if (book.paid + book.awaiting > book.spec.stock()
          || book.paid + book.awaiting + book.free != book.winUnits + book.unsoldFreed) {
        throw new AssertionError(write.eventId() + ": paid " + book.paid + " + awaiting " + book.awaiting + " + released "
            + book.free + " against stock " + book.spec.stock() + ", " + book.winUnits + " units won and "
            + book.unsoldFreed + " unsold freed, after " + t);
      }
      if (t.kind().inOutbox()) book.outbox.add(t);
    }
    if (book.winUnits + book.unsoldFreed > book.spec.stock()
        || write.unsoldUnitsFreed() > 0 && book.winUnits + book.unsoldFreed != book.spec.stock()) {
      throw new AssertionError(write.eventId() + ": " + book.winUnits + " units won and " + book.unsoldFreed
          + " unsold freed, stock " + book.spec.stock() + " (after " + write + ")");
    }
    if (book.free > 0 && book.winUnits >= book.spec.stock()) { // a book that forgot the sale's end promotes on sell-out only
      for (SimOrderModel.Purchase waiting : book.waitlist.values()) {
        if (book.fits(waiting)) {
          throw new AssertionError(write.eventId() + ": " + book.free + " units released and left while "
              + waiting.enrolled.requestId() + " waits for " + waiting.enrolled.quantity() + " (after " + write + ")");
        }
      }
    }
    return true;
  }

  private void apply(SimOrderModel book, OrderTransition t) {
    SimOrderModel.Purchase p = book.orders.get(t.requestId());
    PurchaseState from = p == null ? null : p.state;
    if (from != t.kind().from()) throw new AssertionError(t.kind() + " of " + t.requestId() + " in state " + from);
    String eventId = book.spec.eventId();
    switch (t.kind()) {
      case ENROLLED_WIN -> {
        Decision d = book.winsToEnrol.remove(t.requestId());
        if (d == null || d.unitsWon() != t.quantity() || d.rank() != t.rank() || !d.ticket().userId().equals(t.userId())
            || t.deadlineMicros() != d.decideMicros() + book.terms.paymentWindowMicros()) {
          throw new AssertionError("enrolled " + t + " for the stored win " + d);
        }
        p = book.enter(t);
        book.hold(p, t.quantity());
        book.awaiting += t.quantity();
        book.winUnits += t.quantity();
        count.accept("payment windows opened by a win");
      }
      case WAITLISTED -> {
        // The next loser for stock whose user stays within the limit; those before it were passed over.
        Long next = book.stockLosers.higherKey(book.lastJoinedRank);
        while (next != null && !book.mayWait(book.stockLosers.get(next))) {
          count.accept("losers for stock passed over: their user held its limit");
          next = book.stockLosers.higherKey(next);
        }
        Decision d = next == null ? null : book.stockLosers.get(next);
        if (d == null || !d.requestId().equals(t.requestId()) || d.ticket().quantity() != t.quantity()
            || book.joined >= book.terms.waitlistBound()) {
          throw new AssertionError("waitlisted " + t + ", not the next loser for stock " + d + " (joined " + book.joined
              + " of " + book.terms.waitlistBound() + ")");
        }
        book.joined++;
        book.lastJoinedRank = t.rank();
        book.countOrderUnits(t.userId(), t.rank(), t.quantity());
        p = book.enter(t);
        book.waitlist.put(t.rank(), p);
        count.accept("waitlist joins");
      }
      case PAID -> {
        if (t.atMicros() >= p.deadlineMicros || t.deadlineMicros() != p.deadlineMicros || !applied(eventId, t, "PAID")) {
          throw new AssertionError("paid " + t + " against deadline " + p.deadlineMicros + " without a confirm then");
        }
        book.awaiting -= t.quantity();
        book.paid += t.quantity();
        count.accept("payments");
        if (p.deadlineMicros - t.atMicros() <= 3_000) count.accept("payments within 3 ms of the deadline");
      }
      case EXPIRED, CANCELLED -> {
        boolean expiry = t.kind() == OrderTransition.Kind.EXPIRED;
        if (expiry ? t.atMicros() < p.deadlineMicros || t.deadlineMicros() != p.deadlineMicros
            : t.atMicros() >= p.deadlineMicros || !applied(eventId, t, "CANCELLED")) {
          throw new AssertionError(t.kind() + " " + t + " against deadline " + p.deadlineMicros);
        }
        book.awaiting -= t.quantity();
        book.hold(p, -t.quantity());
        book.free += t.quantity();
        count.accept(expiry ? "expiries" : "cancellations");
        if (expiry && applied(eventId, t, "PAID")) count.accept("confirms that came too late and expired the purchase");
      }
      case LEFT_WAITLIST -> {
        if (!applied(eventId, t, "CANCELLED")) throw new AssertionError("left the waitlist without a cancel: " + t);
        book.waitlist.remove(t.rank());
        count.accept("waitlist leaves");
      }
      case WAITLIST_CLOSED -> {
        if (!book.promoting() || book.awaiting > 0) {
          throw new AssertionError("closed the waitlist on " + t + " while " + book.awaiting
              + " units await payment or the sale may still sell");
        }
        if (book.winUnits + book.unsoldFreed < book.spec.stock()) {
          throw new AssertionError("closed the waitlist on " + t + " with " + (book.spec.stock() - book.winUnits)
              + " units the sale never sold not offered to it");
        }
        book.waitlist.remove(t.rank());
        count.accept("waitlist places closed when the event settled");
      }
      case PROMOTED -> {
        promote(book, p, t);
        p.deadlineMicros = t.deadlineMicros();
      }
    }
    p.state = t.kind().to();
  }

  private boolean applied(String eventId, OrderTransition t, String call) {
    return applied.getOrDefault(key(eventId, t.requestId()) + "/" + call, Set.of()).contains(t.atMicros());
  }

  /** The earliest waitlisted buyer that fits gets the released units; nobody while the sale may still sell. */
  private void promote(SimOrderModel book, SimOrderModel.Purchase p, OrderTransition t) {
    long window = book.terms.paymentWindowMicros();
    if (!book.promoting()) throw new AssertionError("promoted " + t + " while the sale may still sell");
    if (!book.fits(p)) throw new AssertionError("promoted " + t + " with " + book.free + " units released, over its user's limit");
    for (SimOrderModel.Purchase earlier : book.waitlist.headMap(t.rank()).values()) {
      if (book.fits(earlier)) throw new AssertionError("promoted " + t + " ahead of " + earlier.enrolled.requestId()
          + " (rank " + earlier.enrolled.rank() + ", " + earlier.enrolled.quantity() + " units), who fits");
    }
    if (t.deadlineMicros() != t.atMicros() + window) throw new AssertionError(t + ": deadline is not now plus " + window);
    book.waitlist.remove(t.rank());
    book.free -= t.quantity();
    book.awaiting += t.quantity();
    book.hold(p, t.quantity());
    count.accept("promotions");
  }

  /** A buyer's confirm or cancel got a final answer: the state the store holds, the same each time. */
  void answered(String eventId, String requestId, PurchaseState wanted, OrderRecord record, boolean done) {
    PurchaseState state = record.state();
    PurchaseState stored = store.findOrder(eventId, requestId).map(OrderRecord::state).orElse(null);
    if (!state.isFinal() || state != stored || done != (state == wanted)) {
      throw new AssertionError("buyer of " + requestId + " asked for " + wanted + " and was told " + state
          + (done ? "" : " (refused)") + " but the store holds " + stored);
    }
    PurchaseState first = answers.putIfAbsent(key(eventId, requestId) + "/" + wanted, state);
    if (first != null && first != state) throw new AssertionError(requestId + " answered " + first + " then " + state);
    if (first != null) count.accept("order calls answered again alike");
    if (first == null && wanted == PurchaseState.PAID && state == PurchaseState.EXPIRED) count.accept("confirms refused after expiry");
    if (first == null && wanted == PurchaseState.CANCELLED && state != wanted) count.accept("cancels refused (" + state + ")");
  }

  /** Every event's book is at rest: every stored win enrolled, the waitlist joined, nobody awaiting payment. */
  boolean settled() {
    for (SimOrderModel book : books.values()) {
      if (book.awaiting > 0 || !book.winsToEnrol.isEmpty()
          || book.joined < book.joinsDue() || book.endsInRun && (!book.saleEnded || !book.waitlist.isEmpty())) {
        return false;
      }
    }
    return true;
  }

  String unsettled() {
    StringBuilder s = new StringBuilder();
    for (SimOrderModel b : books.values()) {
      s.append(b.spec.eventId()).append(": awaiting=").append(b.awaiting).append(" toEnrol=").append(b.winsToEnrol.size())
          .append(" joined=").append(b.joined).append('/').append(b.stockLosers.size()).append(" free=").append(b.free)
          .append(" paid=").append(b.paid).append(" seq=").append(b.sequence).append("; ");
    }
    return s.toString();
  }

  /**
   * The store holds what the model holds, its outbox is every transition once in the order
   * written, nobody awaits payment, and each sold-out event ended with every unit paid or no
   * waitlisted buyer that fits the units left.
   */
  void checkEnd() {
    for (SimOrderModel book : books.values()) {
      String eventId = book.spec.eventId();
      OrderSnapshot snapshot = store.loadOrders(eventId);
      Map<String, PurchaseState> stored = new HashMap<>();
      for (OrderRecord r : snapshot.orders()) stored.put(r.requestId(), r.state());
      Map<String, PurchaseState> model = new HashMap<>();
      book.orders.forEach((id, p) -> model.put(id, p.state));
      if (!stored.equals(model) || snapshot.freeUnits() != book.free || snapshot.lastSequence() != book.sequence
          || snapshot.enrolledWinUnits() != book.winUnits || snapshot.waitlistJoined() != book.joined
          || snapshot.unsoldUnitsFreed() != book.unsoldFreed) {
        throw new AssertionError("the store's orders of " + eventId + " are not the accepted writes': " + snapshot);
      }
      if (!store.readTransitions(eventId).equals(book.outbox)) {
        throw new AssertionError("the outbox of " + eventId + " is not each transition once, in order");
      }
      if (book.awaiting > 0) throw new AssertionError(eventId + " ended with " + book.awaiting + " units awaiting payment");
      if (!book.promoting()) continue; // the sale may still sell: released units wait for its end
      for (SimOrderModel.Purchase waiting : book.waitlist.values()) {
        if (book.fits(waiting)) throw new AssertionError(eventId + " ended with " + book.free + " units left while "
            + waiting.enrolled.requestId() + " waits for " + waiting.enrolled.quantity());
      }
      count.accept(book.paid == book.spec.stock() ? "sold-out events ended all paid" : "sold-out events ended with the waitlist spent");
    }
  }
}
