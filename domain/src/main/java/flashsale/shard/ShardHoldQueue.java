package flashsale.shard;

import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;

/**
 * SHARDED mode at one region, for one event: the hold-and-borrow policy. A purchase first tries
 * this region's shard. When the shard is short it is held (oldest stamp first, so borrowed units
 * go to the earliest buyers here) and the arbiter is told at once, so its rebalancer moves stock
 * here; after each answered report the oldest held purchase is retried, one at a time, so none
 * overtakes another. A purchase held behind others is also put to the shard once, selling it no
 * unit, so a retry of a decided request or a buyer past the per-user limit is answered at once
 * rather than after a hold. A held purchase past its hold answers "retry" with nothing decided. The
 * arbiter's answer also says how many units the whole event has left (every shard and in
 * transit); a purchase asking more can only lose, and is decided at once, in any order: all held
 * purchases once every shard is empty, and a big one that would otherwise block the queue forever
 * while the last units wait behind it.
 *
 * <p>Pure: it returns {@link Step}s for the adapter to carry out (store calls, reports, answers)
 * and reads time only as the {@code nowNanos} it is given.
 *
 * @param <H> the adapter's handle for a waiting purchase (its open call); opaque here
 */
public final class ShardHoldQueue<H> {
  private static final long DEMAND_WINDOW_NANOS = 250_000_000L;

  /** A purchase waiting for borrowed stock until {@code deadlineNanos}. */
  public record Held<H>(Ticket ticket, H handle, long deadlineNanos) {}

  /** Why a purchase goes to the shard store, which says what a failed store call means for the buyer. */
  public enum Purpose {
    /** Its first try on arrival: a failure is answered (retry with the same request id). */
    FIRST_TRY,
    /** The oldest held purchase, retried after a report: a failure leaves it held for the next retry. */
    OLDEST_HELD,
    /**
     * The whole event has fewer units left than it asks (none, once sold out everywhere): the store
     * decides it (lost); a failure is answered.
     */
    BEYOND_STOCK
  }

  /** What the adapter does next. */
  public sealed interface Step<H> {
    /**
     * Buy {@code ticket} from this region's shard ({@code decideShort}: decide it even if short),
     * answer the buyer if the store decided, and give the outcome to {@link #shardAnswered}. The
     * oldest held purchase's retry ({@link Purpose#OLDEST_HELD}) is the store's {@code buyHeld},
     * told {@code nextWaitingMicros}: the stamp of the next held purchase ({@code -1}: none), which
     * the shard marks as waiting once this one is decided, so no later first try takes units first.
     */
    record Buy<H>(Ticket ticket, H handle, boolean decideShort, Purpose purpose, long nextWaitingMicros) implements Step<H> {
      /** A buy that is no held purchase's retry: nothing waits behind it to name. */
      public Buy(Ticket ticket, H handle, boolean decideShort, Purpose purpose) {
        this(ticket, handle, decideShort, purpose, -1);
      }

      /** A store failure is answered to the buyer (else the purchase stays held). */
      public boolean failureAnswersBuyer() {
        return purpose != Purpose.OLDEST_HELD;
      }
    }

    /** Tell the arbiter this shard's state; give its answer to {@link #reportAnswered}. */
    record Report<H>(long remainingUnits, long waitingUnits, long demandUnitsPerSecond, boolean shardInUse)
        implements Step<H> {}

    /** The hold ran out: answer "no stock arrived in time, retry", nothing decided. */
    record Expire<H>(Ticket ticket, H handle) implements Step<H> {}

    /**
     * Nothing is held here any more, and no held purchase's retry moved the shard's waiting mark
     * away: clear it ({@code ShardStore#clearWaiting}), or first tries would stay short behind it
     * until a report is answered.
     */
    record Unmark<H>() implements Step<H> {}

    /**
     * Ask this region's shard to decide the held purchase without selling it a unit (a retry of a
     * decided request, a buyer past the per-user limit); if it does, tell {@link
     * #decidedWithoutStock}, and answer the buyer when that says so.
     */
    record Check<H>(Held<H> held) implements Step<H> {}
  }

  /** What the shard store said to a {@link Step.Buy}. */
  public sealed interface ShardAnswer {
    /** The store decided the purchase (won, lost or a stored retry). */
    record Decided() implements ShardAnswer {}

    /** The shard holds fewer units than asked; nothing was written. */
    record Short(long remainingUnits) implements ShardAnswer {}

    /** The store did not answer. */
    record Failed() implements ShardAnswer {}
  }

  private final String eventId;
  private final long holdNanos;
  private final PriorityQueue<Held<H>> held = new PriorityQueue<>(Comparator.comparingLong(h -> h.ticket().stampMicros()));
  /** How many places each request id holds in {@link #held} (a retry joined to its first is one more). */
  private final Map<String, Integer> placesByRequest = new HashMap<>();
  /** First tries at the store and not yet answered, by request id: undecided, and not held either. */
  private final Map<String, Integer> firstTriesAtStore = new HashMap<>();
  /** The latest first try of each request id at the store (its stamp is what a look-up tells). */
  private final Map<String, Ticket> firstTryTickets = new HashMap<>();
  /** The stamps of those first tries (stamp to count): any may come back short, and wait. */
  private final java.util.TreeMap<Long, Integer> firstTryStamps = new java.util.TreeMap<>();
  /**
   * Units the whole event has left, as the arbiter last said: an upper bound (a stale answer says
   * more), so it only falls. Unknown (the most) until the first answer.
   */
  private long eventUnsoldUnits = Long.MAX_VALUE;
  /** The oldest held purchase is at the store; only one at a time keeps them in order. */
  private Held<H> oldestAtStore;
  private boolean reportInFlight;
  /** The shard store answered a buy (decided or short): the shard exists. */
  private boolean shardInUse;
  /** A short answer here left the shard a waiting mark that no held purchase's retry has cleared since. */
  private boolean shardMarked;
  private long lastRemainingUnits;
  private long lastActivityNanos;
  private long windowStartNanos;
  private long windowUnits;
  private long previousWindowUnits;

  public ShardHoldQueue(String eventId, long initialUnits, long holdNanos, long nowNanos) {
    if (holdNanos <= 0) throw new IllegalArgumentException("hold " + holdNanos + " ns <= 0");
    this.eventId = eventId;
    this.holdNanos = holdNanos;
    this.lastRemainingUnits = initialUnits;
    this.windowStartNanos = nowNanos;
    this.lastActivityNanos = nowNanos;
  }

  /**
   * A purchase arrives: it goes to the shard, unless earlier buyers here are waiting for stock;
   * then it waits in its place, and the shard only decides at once what needs no unit.
   */
  public List<Step<H>> purchase(Ticket ticket, H handle, long nowNanos) {
    requireEvent(ticket);
    asked(ticket.quantity(), nowNanos);
    boolean beyondStock = beyondStock(ticket);
    if (!held.isEmpty() && !beyondStock) {
      Optional<Held<H>> first = placesByRequest.containsKey(ticket.requestId()) ? firstHeld(ticket.requestId())
          : Optional.empty();
      if (first.isPresent() && sameContent(first.get().ticket(), ticket)) {
        // A retry of a purchase held here waits in its place, not behind those that came since.
        enqueue(new Held<>(first.get().ticket(), handle, first.get().deadlineNanos()));
        return List.of();
      }
      // No overtaking the earlier ones for stock; but a retry of a decided request, or a buyer past
      // the limit, would wait a whole hold only to be told "retry".
      Held<H> waiting = new Held<>(ticket, handle, nowNanos + holdNanos);
      enqueue(waiting);
      return List.of(new Step.Check<>(waiting));
    }
    firstTriesAtStore.merge(ticket.requestId(), 1, Integer::sum);
    firstTryTickets.put(ticket.requestId(), ticket);
    firstTryStamps.merge(ticket.stampMicros(), 1, Integer::sum);
    return List.of(new Step.Buy<>(ticket, handle, beyondStock, Purpose.FIRST_TRY));
  }

  /**
   * A purchase with {@code ticket}'s request id but other content (user, units, slots) is held
   * here: the adapter answers it REQUEST_ID_REUSED. Put to the store, it could be decided under the
   * id (a buyer past the limit) and take the held purchase's answer with it.
   */
  public boolean reusedWhileHeld(Ticket ticket) {
    return placesByRequest.containsKey(ticket.requestId())
        && firstHeld(ticket.requestId()).filter(h -> !sameContent(h.ticket(), ticket)).isPresent();
  }

  /**
   * A first try of {@code requestId} is at the store, unanswered: not decided, not held, but it
   * may still be either (a retry after the sale's end must not be told it ended).
   */
  public boolean atStore(String requestId) {
    return firstTriesAtStore.containsKey(requestId);
  }

  /** The first try of {@code requestId} at the store ({@link #atStore}), if any: it is pending. */
  public Optional<Ticket> atStoreTicket(String requestId) {
    return Optional.ofNullable(firstTryTickets.get(requestId));
  }

  /**
   * False for the answer of a retry whose purchase was released meanwhile ({@link #releaseAll}):
   * its buyer was answered then, and the answer must not be given to {@link #shardAnswered}.
   */
  public boolean awaits(Step.Buy<H> buy) {
    return buy.purpose() != Purpose.OLDEST_HELD || oldestAtStore != null && oldestAtStore.ticket() == buy.ticket();
  }

  /** The store answered {@code buy}. */
  public List<Step<H>> shardAnswered(Step.Buy<H> buy, ShardAnswer answer, long nowNanos) {
    List<Step<H>> steps = new ArrayList<>();
    if (!(answer instanceof ShardAnswer.Failed)) shardInUse = true;
    // A short answer marked the shard; a failed one may have (the store wrote, the reply was lost).
    if (!(answer instanceof ShardAnswer.Decided) && buy.purpose() != Purpose.BEYOND_STOCK) shardMarked = true;
    switch (buy.purpose()) {
      case FIRST_TRY -> {
        if (firstTriesAtStore.merge(buy.ticket().requestId(), -1, (had, minus) -> had + minus == 0 ? null : had + minus)
            == null) {
          firstTryTickets.remove(buy.ticket().requestId());
        }
        firstTryStamps.merge(buy.ticket().stampMicros(), -1, (had, minus) -> had + minus == 0 ? null : had + minus);
        if (answer instanceof ShardAnswer.Short s) {
          lastRemainingUnits = s.remainingUnits();
          enqueue(new Held<>(buy.ticket(), buy.handle(), nowNanos + holdNanos));
          report(steps, nowNanos); // a borrow: tell the arbiter now rather than at the next tick
        } else {
          unmarkIfIdle(steps); // the last first try in flight held back a clear
        }
      }
      case OLDEST_HELD -> {
        if (oldestAtStore == null || oldestAtStore.ticket() != buy.ticket()) {
          throw new IllegalStateException("answer for " + buy.ticket().requestId() + " of " + eventId + " is not the one at the store");
        }
        Held<H> head = oldestAtStore;
        oldestAtStore = null;
        switch (answer) {
          case ShardAnswer.Decided d -> {
            if (held.remove(head)) dequeued(head);
            if (buy.nextWaitingMicros() < 0) shardMarked = false; // the store dropped the mark with it
            drain(steps);
            unmarkIfIdle(steps);
          }
          case ShardAnswer.Short s -> {
            lastRemainingUnits = s.remainingUnits();
            decideBeyondStock(steps); // the event ran short of it meanwhile: decide it with the rest
          }
          // Else it stays held: the next report retries it, or its hold runs out.
          case ShardAnswer.Failed f -> decideBeyondStock(steps);
        }
      }
      case BEYOND_STOCK -> {
        if (answer instanceof ShardAnswer.Short) {
          throw new IllegalStateException("a buy of " + buy.ticket().requestId() + " beyond the event's stock came back short");
        }
      }
    }
    return steps;
  }

  /**
   * The shard decided {@code check}'s purchase without a unit. True when it was still waiting here:
   * it leaves the queue and the adapter answers its buyer. False when its buyer hears otherwise
   * (its hold ran out, it was released, or it is at the store, whose buy answers it).
   */
  public boolean decidedWithoutStock(Step.Check<H> check) {
    if (check.held() == oldestAtStore || !held.remove(check.held())) return false;
    dequeued(check.held());
    return true;
  }

  /** After {@link #decidedWithoutStock}: the shard's waiting mark goes if nothing is held any more. */
  public List<Step<H>> unmarkIfIdle() {
    List<Step<H>> steps = new ArrayList<>();
    unmarkIfIdle(steps);
    return steps;
  }

  /**
   * Not while a first try is at the store: sent behind it on the same connection, the clear would
   * erase the mark that first try may just have relied on (found short behind it, it is held next).
   */
  private void unmarkIfIdle(List<Step<H>> steps) {
    if (!shardMarked || !held.isEmpty() || oldestAtStore != null || !firstTriesAtStore.isEmpty()) return;
    shardMarked = false;
    steps.add(new Step.Unmark<>());
  }

  /**
   * The arbiter answered a {@link Step.Report}: the units the whole event has left (0: sold out
   * everywhere), or empty when the report failed.
   */
  public List<Step<H>> reportAnswered(OptionalLong eventUnsoldUnits) {
    reportInFlight = false;
    List<Step<H>> steps = new ArrayList<>();
    if (eventUnsoldUnits.isEmpty()) return steps; // the next tick reports again
    if (eventUnsoldUnits.getAsLong() < 0) throw new IllegalArgumentException("event " + eventId + " has "
        + eventUnsoldUnits.getAsLong() + " units left");
    this.eventUnsoldUnits = Math.min(this.eventUnsoldUnits, eventUnsoldUnits.getAsLong());
    drain(steps);
    return steps;
  }

  /** The periodic tick: holds that ran out are answered, and the arbiter hears the shard's state. */
  public List<Step<H>> tick(long nowNanos) {
    List<Step<H>> steps = new ArrayList<>();
    held.removeIf(h -> {
      if (h == oldestAtStore || nowNanos < h.deadlineNanos()) return false;
      steps.add(new Step.Expire<>(h.ticket(), h.handle()));
      dequeued(h);
      return true;
    });
    unmarkIfIdle(steps);
    report(steps, nowNanos);
    return steps;
  }

  /** The held purchase with {@code requestId}, if any (it is pending). */
  public Optional<Ticket> heldTicket(String requestId) {
    return placesByRequest.containsKey(requestId) ? firstHeld(requestId).map(Held::ticket) : Optional.empty();
  }

  private Optional<Held<H>> firstHeld(String requestId) {
    return held.stream().filter(h -> h.ticket().requestId().equals(requestId)).findFirst();
  }

  /** The same purchase again: its user, units and slots (its stamp is the retry's own). */
  private static boolean sameContent(Ticket first, Ticket retry) {
    return first.userId().equals(retry.userId()) && first.quantity() == retry.quantity()
        && first.slots().equals(retry.slots());
  }

  private void enqueue(Held<H> waiting) {
    held.add(waiting);
    placesByRequest.merge(waiting.ticket().requestId(), 1, Integer::sum);
  }

  private void dequeued(Held<H> left) {
    placesByRequest.merge(left.ticket().requestId(), -1, (had, minus) -> had + minus == 0 ? null : had + minus);
  }

  /**
   * A call that must not buy anew, for the held purchase {@code requestId} (see {@link
   * #heldTicket}): a retry after its sale ended, or a watcher. It waits beside it, in its place and
   * until its deadline, and is answered as it is (a retry while the sale runs joins it in {@link #purchase}).
   */
  public void joinHeld(String requestId, H handle) {
    Held<H> first = firstHeld(requestId)
        .orElseThrow(() -> new IllegalStateException("no held " + requestId + " of " + eventId + " to join"));
    enqueue(new Held<>(first.ticket(), handle, first.deadlineNanos()));
  }

  /**
   * Something is held or at the store, or a purchase came within the last {@code quietNanos}: keep
   * reporting (a first try that comes back short after a slow store call must find its queue).
   */
  public boolean active(long nowNanos, long quietNanos) {
    return !held.isEmpty() || !firstTriesAtStore.isEmpty() || oldestAtStore != null
        || nowNanos - lastActivityNanos < quietNanos;
  }

  /** Empties the queue (shutdown): the adapter fails every returned purchase. */
  public List<Held<H>> releaseAll() {
    List<Held<H>> all = new ArrayList<>(held);
    held.clear();
    placesByRequest.clear();
    oldestAtStore = null;
    return all;
  }

  public int heldCount() {
    return held.size();
  }

  /** The arbiter said every shard is empty and nothing is in flight. */
  public boolean soldOut() {
    return eventUnsoldUnits == 0;
  }

  /** Decides what can only lose, then retries the oldest held purchase. */
  private void drain(List<Step<H>> steps) {
    decideBeyondStock(steps);
    Held<H> head = held.peek();
    if (oldestAtStore != null || head == null) return;
    oldestAtStore = head;
    String headId = head.ticket().requestId();
    // The next held purchase, or a first try at the store that may come back short and be held.
    long nextWaitingMicros = java.util.stream.LongStream.concat(
            held.stream().filter(h -> !h.ticket().requestId().equals(headId)).mapToLong(h -> h.ticket().stampMicros()),
            firstTryStamps.isEmpty() ? java.util.stream.LongStream.empty() : java.util.stream.LongStream.of(firstTryStamps.firstKey()))
        .min().orElse(-1);
    steps.add(new Step.Buy<>(head.ticket(), head.handle(), false, Purpose.OLDEST_HELD, nextWaitingMicros));
  }

  /**
   * Every held purchase asking more than the whole event has left is decided (lost), in no
   * particular order: losers have none to keep (the one at the store, if any, is decided there).
   */
  private void decideBeyondStock(List<Step<H>> steps) {
    held.removeIf(h -> {
      if (h == oldestAtStore || !beyondStock(h.ticket())) return false;
      steps.add(new Step.Buy<>(h.ticket(), h.handle(), true, Purpose.BEYOND_STOCK));
      dequeued(h);
      return true;
    });
    unmarkIfIdle(steps);
  }

  private boolean beyondStock(Ticket ticket) {
    return ticket.quantity() > eventUnsoldUnits;
  }

  private void report(List<Step<H>> steps, long nowNanos) {
    if (reportInFlight) return;
    reportInFlight = true;
    // A buyer who retries a held purchase holds a second place (answered alike by the store), but
    // waits for its units once: counted twice, the rebalancer would pull stock here for nobody.
    Map<String, Integer> waitingByRequest = new HashMap<>();
    held.forEach(h -> waitingByRequest.putIfAbsent(h.ticket().requestId(), h.ticket().quantity()));
    long waitingUnits = waitingByRequest.values().stream().mapToLong(Integer::longValue).sum();
    steps.add(new Step.Report<>(lastRemainingUnits, waitingUnits, demandUnitsPerSecond(nowNanos), shardInUse));
  }

  private void asked(int units, long nowNanos) {
    roll(nowNanos);
    windowUnits += units;
    lastActivityNanos = nowNanos;
  }

  /** Units asked for per second over the current and the previous window. */
  long demandUnitsPerSecond(long nowNanos) {
    roll(nowNanos);
    long spanNanos = DEMAND_WINDOW_NANOS + (nowNanos - windowStartNanos);
    return (previousWindowUnits + windowUnits) * 1_000_000_000L / Math.max(1, spanNanos);
  }

  private void roll(long nowNanos) {
    while (nowNanos - windowStartNanos >= DEMAND_WINDOW_NANOS) {
      previousWindowUnits = windowUnits;
      windowUnits = 0;
      windowStartNanos += DEMAND_WINDOW_NANOS;
      if (nowNanos - windowStartNanos >= 2 * DEMAND_WINDOW_NANOS) {
        previousWindowUnits = 0;
        windowStartNanos = nowNanos;
      }
    }
  }

  private void requireEvent(Ticket ticket) {
    if (!ticket.eventId().equals(eventId)) {
      throw new IllegalArgumentException("ticket " + ticket.requestId() + " of " + ticket.eventId() + " in the queue of " + eventId);
    }
  }
}
