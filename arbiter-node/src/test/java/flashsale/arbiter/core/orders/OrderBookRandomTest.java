package flashsale.arbiter.core.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Seeded random sales after the win: decisions from a model sale, then confirms, cancels and ticks
 * at random times with writes acknowledged late. Every written transition is replayed by an
 * independent model that checks the invariants after each step.
 */
class OrderBookRandomTest {
  static final long WINDOW = 1_000;

  @Test
  void invariantsHoldOverThousandsOfSeeds() {
    for (long seed = 1; seed <= 3_000; seed++) {
      try {
        run(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed=" + seed + ": " + e.getMessage(), e);
      }
    }
  }

  private void run(long seed) {
    Random random = new Random(seed);
    int stock = 1 + random.nextInt(10);
    int limit = 1 + random.nextInt(3);
    long bound = random.nextInt(3) == 0 ? random.nextInt(stock + 1) : 2L * stock;
    OrderBook book = new OrderBook("e", stock, limit, new OrderTerms(WINDOW, bound), OrderSnapshot.empty(Optional.empty()));
    Model model = new Model(stock, limit, bound);
    List<Decision> decisions = sale(random, stock, limit);
    ArrayDeque<OrderEffect.PersistOrders> unacked = new ArrayDeque<>();
    long now = 0;
    int fed = 0;
    while (fed < decisions.size() || random.nextInt(60) != 0) {
      now += random.nextInt(300);
      int op = random.nextInt(5);
      List<OrderEffect> effects = new ArrayList<>();
      if (op == 0 && fed < decisions.size()) {
        int n = 1 + random.nextInt(Math.min(8, decisions.size() - fed));
        List<Decision> batch = decisions.subList(fed, fed + n).stream()
            .map(d -> withTime(d, d.won() ? 0 : d.decideMicros())).toList();
        effects.addAll(book.decided(batch, now));
        fed += n;
      } else if (op == 1 || op == 2) {
        String rid = "t" + random.nextInt(Math.max(1, decisions.size()));
        if (op == 1) book.confirm(rid, now, effects); else book.cancel(rid, now, effects);
      } else if (op == 3) {
        effects.addAll(book.tick(now));
      } else if (!unacked.isEmpty()) {
        effects.addAll(book.persisted(model.write(unacked.poll())));
      }
      collect(effects, unacked, model);
    }
    while (!unacked.isEmpty()) collect(new ArrayList<>(book.persisted(model.write(unacked.poll()))), unacked, model);
    model.open = true; // every decision is fed and written: the sale is over
    boolean waitingAtEnd = !model.waitlist.isEmpty();
    collect(new ArrayList<>(book.saleEnded(now)), unacked, model);
    // Let every window run out with every write acknowledged.
    for (int round = 0; round < 4 * decisions.size() + 4; round++) {
      now += WINDOW;
      List<OrderEffect> effects = new ArrayList<>(book.tick(now));
      collect(effects, unacked, model);
      while (!unacked.isEmpty()) {
        List<OrderEffect> more = new ArrayList<>(book.persisted(model.write(unacked.poll())));
        collect(more, unacked, model);
      }
    }
    assertTrue(book.settled());
    assertEquals(0, model.awaiting);
    assertFalse(model.anyWaitingFits(), "units stranded while a waitlisted buyer fits");
    assertEquals(decisions.stream().mapToLong(Decision::unitsWon).sum() + model.unsoldFreed, model.paid + model.free);
    assertEquals(waitingAtEnd ? stock - model.winUnits : 0, model.unsoldFreed,
        "the stock never sold is freed at the end for a waitlist, and only for one");
  }

  /** Queues the writes; a write told durable says the waitlist is full exactly when the written joins reach the bound. */
  private static void collect(List<OrderEffect> effects, ArrayDeque<OrderEffect.PersistOrders> unacked, Model model) {
    for (OrderEffect e : effects) {
      if (e instanceof OrderEffect.PersistOrders p) unacked.add(p);
      if (e instanceof OrderEffect.OrdersDurable d) {
        assertEquals(model.joins >= model.bound, d.waitlistFull(), "waitlist full after write " + d.sequence());
      }
    }
  }

  private static Decision withTime(Decision d, long micros) {
    return new Decision(d.ticket(), d.outcome(), d.lossReason(), d.rank(), micros, false);
  }

  /** A flash sale decided in ticket order: the rules the sequencer applies. */
  private static List<Decision> sale(Random random, int stock, int limit) {
    int tickets = stock + random.nextInt(4 * stock + 1);
    int users = 1 + random.nextInt(tickets);
    long remaining = stock;
    Map<String, Integer> won = new HashMap<>();
    List<Decision> out = new ArrayList<>();
    for (int i = 0; i < tickets; i++) {
      String user = "u" + random.nextInt(users);
      int qty = 1 + random.nextInt(Math.min(3, limit));
      Ticket ticket = new Ticket("e", "t" + i, user, qty, "r", i + 1);
      LossReason why = won.getOrDefault(user, 0) + qty > limit ? LossReason.LIMIT_EXCEEDED
          : remaining == 0 ? LossReason.SOLD_OUT : qty > remaining ? LossReason.INSUFFICIENT_STOCK : LossReason.NONE;
      if (why == LossReason.NONE) {
        remaining -= qty;
        won.merge(user, qty, Integer::sum);
      }
      out.add(new Decision(ticket, why == LossReason.NONE ? Outcome.WON : Outcome.LOST, why, i + 1, 0, false));
    }
    return out;
  }

  /** Replays written transitions with its own bookkeeping and checks each step. */
  private static final class Model {
    final long stock;
    final int limit;
    final long bound;
    /** Waitlist joins written so far. */
    long joins;
    final TreeMap<Long, OrderTransition> waitlist = new TreeMap<>();
    final Map<String, Long> held = new HashMap<>();
    final Set<String> promoted = new HashSet<>();
    long awaiting;
    long paid;
    long free;
    long expectedSequence = 1;
    long winUnits;
    /** Stock the sale never sold, freed for the waitlist at its end. */
    long unsoldFreed;
    /** The sale sells no more: promotions are due. */
    boolean open;

    Model(long stock, int limit, long bound) {
      this.stock = stock;
      this.limit = limit;
      this.bound = bound;
    }

    long write(OrderEffect.PersistOrders p) {
      assertEquals(expectedSequence++, p.write().sequence(), "writes in order");
      if (p.write().unsoldUnitsFreed() > 0) {
        assertTrue(open && unsoldFreed == 0, "unsold stock freed before the sale ended, or twice");
        unsoldFreed = p.write().unsoldUnitsFreed();
        free += unsoldFreed;
      }
      for (OrderTransition t : p.write().transitions()) apply(t);
      assertTrue(unsoldFreed == 0 || winUnits + unsoldFreed == stock, "freed " + unsoldFreed + " beside " + winUnits + " won");
      if (open || winUnits == stock) assertFalse(anyWaitingFits(), "stranded after write " + p.write().sequence());
      return p.write().sequence();
    }

    private void apply(OrderTransition t) {
      switch (t.kind()) {
        case ENROLLED_WIN -> {
          hold(t, 1);
          winUnits += t.quantity();
        }
        case WAITLISTED -> {
          waitlist.put(t.rank(), t);
          joins++;
        }
        case PAID -> paid += t.quantity();
        case CANCELLED, EXPIRED -> {
          hold(t, -1);
          free += t.quantity();
          if (t.kind() == OrderTransition.Kind.EXPIRED) assertTrue(t.atMicros() >= t.deadlineMicros());
        }
        case LEFT_WAITLIST -> assertNotNull(waitlist.remove(t.rank()));
        case PROMOTED -> {
          assertTrue(open || winUnits == stock, "promoted while the sale sells: " + t.requestId());
          assertTrue(promoted.add(t.requestId()), "promoted twice: " + t.requestId());
          for (OrderTransition earlier : waitlist.headMap(t.rank()).values()) {
            assertFalse(fits(earlier), earlier.requestId() + " passed over by " + t.requestId());
          }
          assertNotNull(waitlist.remove(t.rank()));
          assertTrue(fits(t), "promoted without room: " + t.requestId());
          free -= t.quantity();
          hold(t, 1);
        }
      }
      if (t.kind() == OrderTransition.Kind.PAID) awaiting -= t.quantity();
      if (t.kind() == OrderTransition.Kind.PAID) assertTrue(t.atMicros() < t.deadlineMicros());
      assertTrue(free >= 0, "free units " + free);
      assertEquals(winUnits + unsoldFreed, paid + awaiting + free, "every unit won or freed is paid, awaiting payment or free");
      assertTrue(winUnits + unsoldFreed <= stock, "units won " + winUnits + ", unsold freed " + unsoldFreed);
    }

    private void hold(OrderTransition t, int sign) {
      awaiting += sign * t.quantity();
      long now = held.merge(t.userId(), (long) sign * t.quantity(), Long::sum);
      assertTrue(now <= limit, "units of " + t.userId());
    }

    boolean fits(OrderTransition waiting) {
      return waiting.quantity() <= free && held.getOrDefault(waiting.userId(), 0L) + waiting.quantity() <= limit;
    }

    boolean anyWaitingFits() {
      return waitlist.values().stream().anyMatch(this::fits);
    }
  }
}
