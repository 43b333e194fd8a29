package flashsale.region.core;

import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What this region knows of purchases after their decision, in events with a payment window: the
 * latest order state the arbiter reported for each purchase (bounded, least recently used out),
 * which events have a window at all, and whose stored waitlist is full. An order only moves forward (waitlisted, then awaiting
 * payment, then paid, cancelled or expired; not waitlisted is final from the start), so a report
 * behind what is known is ignored, whichever way it came: pushed on the arbiter stream once
 * stored, or in the answer to a question.
 *
 * <p>Changes stored while this region had no stream were pushed to nobody: a new stream
 * ({@link #reconnected}) drops every order not yet final, and an answer to a question asked before
 * it ({@link #generation}) is not kept.
 */
public final class OrderStates {
  private record Key(String eventId, String requestId) {}

  private final LinkedHashMap<Key, OrderRecord> orders;
  private final Map<String, Boolean> windows = new HashMap<>();
  /** Events whose stored waitlist is full (pushed): a fact for good, so kept across reconnects. */
  private final Set<String> waitlistsFull = new HashSet<>();
  private long generation;

  /** @param capacity most orders kept; the least recently used go first */
  public OrderStates(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
    this.orders = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, OrderRecord> eldest) {
        return size() > capacity;
      }
    };
  }

  /** Counts arbiter streams; an answer is kept only if asked under the current one. */
  public long generation() {
    return generation;
  }

  /** A new arbiter stream is up: what was stored while none was may never have been pushed here. */
  public void reconnected() {
    generation++;
    orders.values().removeIf(o -> !o.state().isFinal());
  }

  public Optional<OrderRecord> find(String eventId, String requestId) {
    return Optional.ofNullable(orders.get(new Key(eventId, requestId)));
  }

  /**
   * The arbiter reported {@code order} (pushed under the current stream, or answered to a question
   * asked under {@code askedInGeneration}); kept when it is ahead of what is known.
   *
   * @return true when it moved what is known forward
   */
  public boolean report(String eventId, OrderRecord order, long askedInGeneration) {
    windows.put(eventId, true);
    if (askedInGeneration != generation) return false;
    Key key = new Key(eventId, order.requestId());
    if (!advances(Optional.ofNullable(orders.get(key)), order)) return false;
    orders.put(key, order);
    return true;
  }

  /** The arbiter said whether the event has a payment window (set once at creation, so kept for good). */
  public void paymentWindow(String eventId, boolean has) {
    windows.put(eventId, has);
  }

  /**
   * The arbiter pushed that the event's stored waitlist is full.
   *
   * @return true when this region did not know it yet
   */
  public boolean waitlistFull(String eventId) {
    return waitlistsFull.add(eventId);
  }

  /** Whether the arbiter pushed that the event's stored waitlist is full. */
  public boolean isWaitlistFull(String eventId) {
    return waitlistsFull.contains(eventId);
  }

  /**
   * Lets go of the event's flags (its window asked again if needed; a waitlist still full is pushed
   * again with its next order write); its purchases' orders age out on their own.
   */
  public void forgetEvent(String eventId) {
    windows.remove(eventId);
    waitlistsFull.remove(eventId);
  }

  /**
   * Lets go of the window flags of every event {@code known} rejects: an order update of an event
   * already let go (a payment made hours after the sale) puts its flag back, and only this sweep
   * takes it out again.
   */
  public void forgetEventsUnless(java.util.function.Predicate<String> known) {
    windows.keySet().removeIf(eventId -> !known.test(eventId));
    waitlistsFull.removeIf(eventId -> !known.test(eventId));
  }

  /** Whether the event has a payment window, if the arbiter said so yet. */
  public Optional<Boolean> paymentWindow(String eventId) {
    return Optional.ofNullable(windows.get(eventId));
  }

  public int size() {
    return orders.size();
  }

  /** True when {@code reported} is a later stage of the purchase's order than {@code known}. */
  public static boolean advances(Optional<OrderRecord> known, OrderRecord reported) {
    return known.isEmpty() || stage(reported.state()) > stage(known.get().state());
  }

  /** Waitlisted, then awaiting payment (won or promoted, once), then final. */
  private static int stage(PurchaseState state) {
    return switch (state) {
      case WAITLISTED -> 0;
      case AWAITING_PAYMENT -> 1;
      case PAID, CANCELLED, EXPIRED, NOT_WAITLISTED, WAITLIST_CLOSED -> 2;
    };
  }
}
