package flashsale.arbiter.core;

import flashsale.sale.EventHead;
import flashsale.sale.EventKind;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import java.util.Map;

/**
 * The per-kind half of the decision rule: where a ticket that passed the per-user limit takes its
 * units from, or why it cannot. Advances ahead of the store like {@link StockBook}, which marks
 * and rolls it back with each batch.
 */
interface Allotment {

  /**
   * Takes the ticket's whole quantity, or nothing.
   *
   * @return the slot taken ({@code ""} when the kind has no slots), or null when nothing fits
   */
  String take(Ticket ticket);

  /** Why a ticket of {@code quantity} units found nothing to take (after {@link #take} gave null). */
  LossReason shortOf(int quantity);

  /** Units left over all of the event. */
  long remaining();

  /** A reservation's units left per slot, as of now; empty for a flash sale. */
  Map<String, Long> remainingBySlot();

  /** A new batch starts here: the previous one is durable. */
  void mark();

  /** Back to the last {@link #mark}: the store refused the batch. */
  void rollBack();

  static Allotment of(EventHead head) {
    return head.spec().kind() == EventKind.RESERVATION ? new SlotAllotment(head) : new UnitAllotment(head);
  }
}
