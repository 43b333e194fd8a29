package flashsale.arbiter.core;

import flashsale.sale.EventHead;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import java.util.Map;

/** A flash sale's stock: one pool of units, all or nothing per ticket. */
final class UnitAllotment implements Allotment {
  private long remaining;
  private long marked;

  UnitAllotment(EventHead head) {
    this.remaining = head.remainingStock();
    this.marked = remaining;
  }

  @Override
  public String take(Ticket ticket) {
    if (ticket.quantity() > remaining) return null;
    remaining -= ticket.quantity();
    return "";
  }

  @Override
  public LossReason shortOf(int quantity) {
    if (quantity <= remaining) throw new IllegalStateException(quantity + " units fit the " + remaining + " left");
    return remaining == 0 ? LossReason.SOLD_OUT : LossReason.INSUFFICIENT_STOCK;
  }

  @Override
  public long remaining() {
    return remaining;
  }

  @Override
  public Map<String, Long> remainingBySlot() {
    return Map.of();
  }

  @Override
  public void mark() {
    marked = remaining;
  }

  @Override
  public void rollBack() {
    remaining = marked;
  }
}
