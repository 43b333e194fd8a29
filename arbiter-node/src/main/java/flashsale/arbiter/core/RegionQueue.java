package flashsale.arbiter.core;

import flashsale.sale.Ticket;
import java.util.ArrayDeque;

/**
 * One region's queued tickets for one event, kept in global order. A region's stamps strictly
 * increase, so tickets almost always append at the tail; only a ticket resent on a new stream
 * below the stream's earlier stamps needs a sorted insert. The head's draw is cached so the merge
 * compares heads without drawing again.
 */
final class RegionQueue {

  private final TieBreak tieBreak;
  private final ArrayDeque<Ticket> tickets = new ArrayDeque<>();
  private Ticket drawnHead;
  private long headDraw;
  private long overtakenMicros = Long.MIN_VALUE;

  RegionQueue(TieBreak tieBreak) {
    this.tieBreak = tieBreak;
  }

  boolean isEmpty() {
    return tickets.isEmpty();
  }

  int size() {
    return tickets.size();
  }

  Ticket head() {
    return tickets.peekFirst();
  }

  /** The lottery draw of {@link #head()}, drawn once per head. */
  long headDraw() {
    Ticket head = tickets.peekFirst();
    if (head == null) throw new IllegalStateException("empty queue has no head");
    if (head != drawnHead) {
      drawnHead = head;
      headDraw = tieBreak.draw(head);
    }
    return headDraw;
  }

  /**
   * True when a queued ticket's whole interval ends before {@code micros} ({@code stamp + bound <
   * micros}). Stamps are sorted, so only the tickets stamped before {@code micros} are looked at.
   */
  boolean anyEndsBefore(long micros) {
    Ticket head = tickets.peekFirst();
    if (head == null || head.stampMicros() >= micros) return false; // the usual answer, without an iterator
    for (Ticket t : tickets) {
      if (t.stampMicros() >= micros) return false;
      if (t.stampMicros() + t.errorBoundMicros() < micros) return true;
    }
    return false;
  }

  /** Stamps at or below this were passed by the merge while this region was not waited for. */
  long overtakenMicros() {
    return overtakenMicros;
  }

  void overtakenThrough(long micros) {
    overtakenMicros = Math.max(overtakenMicros, micros);
  }

  Ticket poll() {
    return tickets.pollFirst();
  }

  void add(Ticket ticket) {
    Ticket tail = tickets.peekLast();
    if (tail == null || tail.stampMicros() < ticket.stampMicros()) {
      tickets.addLast(ticket);
    } else {
      insertSorted(ticket);
    }
  }

  private void insertSorted(Ticket ticket) {
    ArrayDeque<Ticket> after = new ArrayDeque<>();
    while (!tickets.isEmpty()) {
      Ticket tail = tickets.peekLast();
      if (tieBreak.compare(tail, ticket) < 0) break;
      after.addFirst(tickets.pollLast());
    }
    tickets.addLast(ticket);
    tickets.addAll(after);
  }
}
