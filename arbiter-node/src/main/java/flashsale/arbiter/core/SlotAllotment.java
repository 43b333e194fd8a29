package flashsale.arbiter.core;

import flashsale.sale.EventHead;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reservation's slots: a ticket gets the first slot on its list with room for its whole
 * quantity (serial dictatorship, in the order tickets are decided), or nothing. Units left are
 * kept per slot position, so a decision neither boxes nor rehashes more than the slot's name.
 */
final class SlotAllotment implements Allotment {
  /** The event's slots in its order; a slot's position indexes the arrays below. */
  private final String[] slots;
  private final Map<String, Integer> positions = new HashMap<>();
  private final long[] left;
  private final long[] marked;
  private long remaining;
  private long markedRemaining;

  SlotAllotment(EventHead head) {
    Map<String, Long> bySlot = head.remainingBySlot();
    if (bySlot.isEmpty()) throw new IllegalStateException("reservation " + head.spec().eventId() + " without slots");
    this.slots = bySlot.keySet().toArray(String[]::new);
    this.left = new long[slots.length];
    for (int i = 0; i < slots.length; i++) {
      positions.put(slots[i], i);
      left[i] = bySlot.get(slots[i]);
    }
    this.marked = left.clone();
    this.remaining = head.remainingStock();
    this.markedRemaining = remaining;
  }

  @Override
  public String take(Ticket ticket) {
    for (String slot : ticket.slots()) {
      Integer position = positions.get(slot);
      if (position == null) throw new IllegalStateException("ticket " + ticket.requestId() + " names unknown slot " + slot);
      if (left[position] >= ticket.quantity()) {
        left[position] -= ticket.quantity();
        remaining -= ticket.quantity();
        return slot;
      }
    }
    return null;
  }

  @Override
  public LossReason shortOf(int quantity) {
    return remaining == 0 ? LossReason.SOLD_OUT : LossReason.NO_SLOT_AVAILABLE;
  }

  @Override
  public long remaining() {
    return remaining;
  }

  @Override
  public Map<String, Long> remainingBySlot() {
    Map<String, Long> bySlot = new LinkedHashMap<>();
    for (int i = 0; i < slots.length; i++) bySlot.put(slots[i], left[i]);
    return Collections.unmodifiableMap(bySlot);
  }

  @Override
  public void mark() {
    System.arraycopy(left, 0, marked, 0, left.length);
    markedRemaining = remaining;
  }

  @Override
  public void rollBack() {
    System.arraycopy(marked, 0, left, 0, left.length);
    remaining = markedRemaining;
  }
}
