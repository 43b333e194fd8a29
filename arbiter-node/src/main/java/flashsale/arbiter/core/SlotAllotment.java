package flashsale.arbiter.core;

import flashsale.sale.EventHead;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reservation's slots: a ticket gets the first slot on its list with room for its whole
 * quantity (serial dictatorship, in the order tickets are decided), or nothing.
 */
final class SlotAllotment implements Allotment {
  private final Map<String, Long> left;
  private final Map<String, Long> marked;
  private long remaining;
  private long markedRemaining;

  SlotAllotment(EventHead head) {
    this.left = new LinkedHashMap<>(head.remainingBySlot());
    this.marked = new LinkedHashMap<>(left);
    this.remaining = head.remainingStock();
    this.markedRemaining = remaining;
    if (left.isEmpty()) throw new IllegalStateException("reservation " + head.spec().eventId() + " without slots");
  }

  @Override
  public String take(Ticket ticket) {
    for (String slot : ticket.slots()) {
      Long room = left.get(slot);
      if (room == null) throw new IllegalStateException("ticket " + ticket.requestId() + " names unknown slot " + slot);
      if (room >= ticket.quantity()) {
        left.put(slot, room - ticket.quantity());
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
    return Collections.unmodifiableMap(left);
  }

  @Override
  public void mark() {
    marked.putAll(left);
    markedRemaining = remaining;
  }

  @Override
  public void rollBack() {
    left.putAll(marked);
    remaining = markedRemaining;
  }
}
