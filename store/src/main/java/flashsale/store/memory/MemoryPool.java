package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Micros;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import flashsale.shard.MemoryShard;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.PoolExistsException;
import flashsale.store.PoolLostException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One stock pool of one event (the CENTRAL pool or a region's shard), deciding as {@code
 * modes.lua}'s buy does: each request once, the per-user limit before the stock, all or nothing.
 * Not thread-safe; its store serialises the calls.
 */
final class MemoryPool {
  /** The pool's units; a shard's transfer steps move them too. */
  final MemoryShard units;
  private final Map<String, Decision> decisions = new HashMap<>();
  /** Every decision in rank order (rank r at index r - 1), as the central pool's log keeps them. */
  private final List<Decision> ranked = new ArrayList<>();
  private final Map<String, Long> unitsWonByUser = new HashMap<>();
  private long wins;
  private final long initialUnits;

  MemoryPool(String name, long initialUnits) {
    this.units = new MemoryShard(name, initialUnits);
    this.initialUnits = initialUnits;
  }

  /** A pool its event's spec says was opened at creation, which the store does not hold. */
  static PoolLostException notHeld(String what) {
    return new PoolLostException(what + " was opened when its event was created and is not in this store");
  }

  /**
   * Opens the pool named {@code what} in {@code pools} at {@code initialUnits}, as {@code
   * modes.lua}'s open does: a pool open with the same units is left as it is, one with other units
   * is refused.
   */
  static <K> CompletableFuture<Void> open(Map<K, MemoryPool> pools, K key, String name,
      long initialUnits, String what) {
    MemoryPool pool = pools.computeIfAbsent(key, k -> new MemoryPool(name, initialUnits));
    if (pool.initialUnits != initialUnits) {
      return CompletableFuture.failedFuture(new PoolExistsException(what
          + " is open with " + pool.initialUnits + " initial units, not " + initialUnits));
    }
    return CompletableFuture.completedFuture(null);
  }

  /** No purchase of this shard's region waits for its stock. */
  private static final long NONE_WAITING = Long.MAX_VALUE;
  /**
   * The stamp of the earliest purchase its region holds waiting for this shard's stock, as {@code
   * modes.lua}'s {@code waiting_since}: a first try stamped after it is short whatever the shard
   * holds, so units that land go to the held purchases in their order, not to a later first try.
   */
  private long waitingSinceMicros = NONE_WAITING;

  /** How a call treats the shard's stock and the purchases waiting for it. */
  private enum Buy {
    /** A first try: short when the shard cannot serve it, or when an earlier purchase waits for stock. */
    FIRST_TRY,
    /** The oldest waiting purchase, retried: may take the units. */
    HELD,
    /** Sells nothing: only a retry or a user past the limit is decided. */
    CHECK,
    /** Decided even when short (lost). */
    DECIDE_SHORT
  }

  /**
   * Decides {@code t} unless it was decided before (then that decision, as a retry). Unless {@code
   * decideShort}, a purchase the pool cannot serve, or one stamped after a purchase its region
   * holds waiting for stock, is {@link BuyReply.Short} and changes nothing but that mark.
   */
  BuyReply buy(EventSpec spec, Ticket t, boolean decideShort, InstantSource clock) {
    return buy(spec, t, decideShort ? Buy.DECIDE_SHORT : Buy.FIRST_TRY, clock);
  }

  /**
   * The oldest purchase its region holds, retried: it may take the shard's units whatever waits.
   * Once it is decided, {@code nextWaitingMicros} (the stamp of the next held, or {@code -1} for
   * none) marks what waits; while still short, it marks itself.
   */
  BuyReply buyHeld(EventSpec spec, Ticket t, long nextWaitingMicros, InstantSource clock) {
    BuyReply reply = buy(spec, t, Buy.HELD, clock);
    if (reply instanceof BuyReply.Decided) waitingSinceMicros = nextWaitingMicros < 0 ? NONE_WAITING : nextWaitingMicros;
    return reply;
  }

  /** Its region holds nothing waiting for this shard's stock any more. */
  void clearWaiting() {
    waitingSinceMicros = NONE_WAITING;
  }

  /** As {@link #buy}, selling no unit: only a retry or a user past the limit is decided, else {@link BuyReply.Short}. */
  BuyReply decideWithoutStock(EventSpec spec, Ticket t, InstantSource clock) {
    return buy(spec, t, Buy.CHECK, clock);
  }

  private BuyReply buy(EventSpec spec, Ticket t, Buy how, InstantSource clock) {
    Decision stored = decisions.get(t.requestId());
    if (stored != null) return new BuyReply.Decided(stored, true);
    long held = unitsWonByUser.getOrDefault(t.userId(), 0L);
    long remaining = units.remainingUnits();
    boolean behindWaiting = how == Buy.FIRST_TRY && waitingSinceMicros < t.stampMicros();
    LossReason loss;
    if (held + t.quantity() > spec.perUserLimit()) {
      loss = LossReason.LIMIT_EXCEEDED;
    } else if (how != Buy.CHECK && !behindWaiting && remaining >= t.quantity()) {
      loss = LossReason.NONE;
    } else if (how != Buy.DECIDE_SHORT) {
      if (how != Buy.CHECK) waitingSinceMicros = Math.min(waitingSinceMicros, t.stampMicros());
      return new BuyReply.Short(remaining);
    } else {
      loss = remaining == 0 ? LossReason.SOLD_OUT : LossReason.INSUFFICIENT_STOCK;
    }
    // What the store keeps of the ticket, as modes.lua's record does; rank is the order of arrival here.
    Ticket kept = new Ticket(spec.eventId(), t.requestId(), t.userId(), t.quantity(), t.region(), t.stampMicros());
    boolean won = loss == LossReason.NONE;
    Decision decision = new Decision(kept, won ? Outcome.WON : Outcome.LOST, loss, ranked.size() + 1,
        Micros.of(clock.instant()), false);
    if (won) {
      if (!units.sell(t.quantity())) throw new IllegalStateException("pool sold " + t.quantity() + " it did not hold");
      unitsWonByUser.put(t.userId(), held + t.quantity());
      wins++;
    }
    decisions.put(t.requestId(), decision);
    ranked.add(decision);
    return new BuyReply.Decided(decision, false);
  }

  Optional<Decision> find(String requestId) {
    return Optional.ofNullable(decisions.get(requestId));
  }

  PoolCounters counters() {
    return new PoolCounters(units.remainingUnits(), units.snapshot().soldUnits(), ranked.size(), wins);
  }

  /** Decisions ranked {@code afterRank + 1 .. afterRank + limit}; {@code afterRank} is not negative. */
  List<Decision> page(long afterRank, int limit) {
    if (limit <= 0 || afterRank >= ranked.size()) return List.of();
    return List.copyOf(ranked.subList((int) afterRank, (int) Math.min(ranked.size(), afterRank + limit)));
  }
}
