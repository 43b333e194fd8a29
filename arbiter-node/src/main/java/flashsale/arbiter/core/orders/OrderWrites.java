package flashsale.arbiter.core.orders;

import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import java.util.ArrayList;
import java.util.List;

/**
 * An order book's writes to the store, in sequence: one in flight at a time, changes made meanwhile
 * queued for the next, so the store applies them in the book's order.
 */
final class OrderWrites {
  /**
   * Decisions enrolled past the last write before a write goes with no change in it, only the rank
   * enrolled through: a new leader reads the decisions after the stored rank, and past the stock and
   * a full waitlist nearly every decision (a loser beyond the waitlist) changes nothing here.
   */
  static final long RANKS_BETWEEN_MARKS = 10_000;

  private final String eventId;
  private long lastSequence;
  private boolean inFlight;
  private final List<OrderTransition> next = new ArrayList<>();
  private List<OrderTransition> flying = List.of();
  /** Losers passed over for a place since the last write: the next write's rank covers them. */
  private final List<flashsale.orders.OrderRecord> nextPassedOver = new ArrayList<>();
  private List<flashsale.orders.OrderRecord> flyingPassedOver = List.of();
  /** Unsold stock freed for the waitlist at the sale's end, for the next write (0 when none). */
  private long nextUnsoldUnitsFreed;
  /** The rank enrolled through that the store holds. */
  private long durableEnrolledThroughRank;
  /** Waitlist joins the store holds. */
  private long durableWaitlistJoins;
  /** The rank enrolled through that the last write sent carried (the stored one at first). */
  private long sentEnrolledThroughRank;

  /**
   * @param lastSequence the last write the store holds (0 for none)
   * @param storedWaitlistJoins the waitlist joins it holds
   * @param storedEnrolledThroughRank the rank it holds the book enrolled through
   */
  OrderWrites(String eventId, long lastSequence, long storedWaitlistJoins, long storedEnrolledThroughRank) {
    this.eventId = eventId;
    this.lastSequence = lastSequence;
    this.durableWaitlistJoins = storedWaitlistJoins;
    this.sentEnrolledThroughRank = storedEnrolledThroughRank;
    this.durableEnrolledThroughRank = storedEnrolledThroughRank;
  }

  /**
   * A loser for lack of stock given no place ({@code record} in state NOT_WAITLISTED): nothing is
   * stored for it, but the next write goes even with no change, so the stored enrolled rank
   * covers it before anyone is told.
   */
  void passOver(flashsale.orders.OrderRecord record) {
    nextPassedOver.add(record);
  }

  /** The sale ended with {@code units} of its stock unsold: the next write frees them for the waitlist. */
  void freeUnsold(long units) {
    if (units <= 0 || nextUnsoldUnitsFreed > 0) {
      throw new IllegalStateException(eventId + ": unsold units freed twice, or none (" + units + ")");
    }
    nextUnsoldUnitsFreed = units;
  }

  /** Queues a change; returns the write that will hold it. */
  long add(OrderTransition transition) {
    next.add(transition);
    return lastSequence + 1;
  }

  /**
   * Sends the queued changes as the next write, unless one is in flight, or none is queued and the
   * book has enrolled fewer than {@link #RANKS_BETWEEN_MARKS} decisions since the last write.
   */
  void flush(long enrolledThroughRank, List<OrderEffect> effects) {
    if (inFlight || next.isEmpty() && nextPassedOver.isEmpty() && nextUnsoldUnitsFreed == 0
        && enrolledThroughRank - sentEnrolledThroughRank < RANKS_BETWEEN_MARKS) {
      return;
    }
    inFlight = true;
    sentEnrolledThroughRank = enrolledThroughRank;
    lastSequence++;
    flying = List.copyOf(next);
    next.clear();
    flyingPassedOver = List.copyOf(nextPassedOver);
    nextPassedOver.clear();
    effects.add(new OrderEffect.PersistOrders(
        new OrderWrite(eventId, lastSequence, enrolledThroughRank, flying, nextUnsoldUnitsFreed)));
    nextUnsoldUnitsFreed = 0;
  }

  /**
   * The store holds write {@code sequence}: its changes may be told, with whether the stored
   * waitlist has reached {@code waitlistBound}.
   *
   * @throws IllegalStateException when that write is not the one in flight (an adapter bug)
   */
  OrderEffect.OrdersDurable persisted(long sequence, long waitlistBound) {
    if (!inFlight || sequence != lastSequence) {
      throw new IllegalStateException("write " + sequence + " of " + eventId + " is not in flight (last " + lastSequence + ")");
    }
    inFlight = false;
    durableWaitlistJoins += flying.stream().filter(t -> t.kind() == OrderTransition.Kind.WAITLISTED).count();
    durableEnrolledThroughRank = sentEnrolledThroughRank; // the write just stored carried it
    var durable = new OrderEffect.OrdersDurable(eventId, sequence, flying, durableWaitlistJoins >= waitlistBound,
        flyingPassedOver);
    flying = List.of();
    flyingPassedOver = List.of();
    return durable;
  }

  /** The rank the store holds the book enrolled through: a loser at or below it with no order has no place. */
  long durableEnrolledThroughRank() {
    return durableEnrolledThroughRank;
  }

  long durableWaitlistJoins() {
    return durableWaitlistJoins;
  }

  /** The last write the store acknowledged. */
  long durableSequence() {
    return inFlight ? lastSequence - 1 : lastSequence;
  }

  /** Nothing in flight and nothing queued. */
  boolean idle() {
    return !inFlight && next.isEmpty() && nextPassedOver.isEmpty() && nextUnsoldUnitsFreed == 0;
  }
}
