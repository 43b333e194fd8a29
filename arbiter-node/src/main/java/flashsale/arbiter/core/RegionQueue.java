package flashsale.arbiter.core;

import flashsale.sale.Ticket;
import java.util.ArrayDeque;

/**
 * One region's queued tickets for one event, kept in global order. A region's stamps strictly
 * increase, so tickets almost always append at the tail; only a ticket resent on a new stream
 * below the stream's earlier stamps needs a sorted insert. The head's keyed hash is cached so the
 * merge compares heads without rehashing.
 */
final class RegionQueue {

  private final long tieBreakSeed;
  private final ArrayDeque<Ticket> tickets = new ArrayDeque<>();
  private Ticket hashedHead;
  private long headHash;
  private long overtakenMicros = Long.MIN_VALUE;

  RegionQueue(long tieBreakSeed) {
    this.tieBreakSeed = tieBreakSeed;
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

  /** The keyed tie-break hash of {@link #head()}. */
  long headHash() {
    Ticket head = tickets.peekFirst();
    if (head == null) throw new IllegalStateException("empty queue has no head");
    if (head != hashedHead) {
      hashedHead = head;
      headHash = TieBreak.hash(tieBreakSeed, head);
    }
    return headHash;
  }

  /**
   * True when a queued ticket's whole interval ends before {@code micros} ({@code stamp + bound <
   * micros}). Stamps are sorted, so only the tickets stamped before {@code micros} are looked at.
   */
  boolean anyEndsBefore(long micros) {
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
    long hash = TieBreak.hash(tieBreakSeed, ticket);
    ArrayDeque<Ticket> after = new ArrayDeque<>();
    while (!tickets.isEmpty()) {
      Ticket tail = tickets.peekLast();
      if (TieBreak.compare(tail, TieBreak.hash(tieBreakSeed, tail), ticket, hash) < 0) break;
      after.addFirst(tickets.pollLast());
    }
    tickets.addLast(ticket);
    tickets.addAll(after);
  }
}
