package flashsale.arbiter.core;

import flashsale.sale.Ticket;

/**
 * The k-way merge over one event's region queues: a binary heap of queue indices ordered by
 * their heads, so each released ticket costs O(log regions) and allocates nothing. The heap is
 * rebuilt at the start of each release round because queues change between rounds.
 */
final class TicketMerge {

  private final RegionQueue[] queues;
  private final int[] heap;
  private int size;
  private long polledHash;

  TicketMerge(RegionQueue[] queues) {
    this.queues = queues;
    this.heap = new int[queues.length];
  }

  /** Starts a release round over the queues' current heads. */
  void reset() {
    size = 0;
    for (int i = 0; i < queues.length; i++) {
      if (!queues[i].isEmpty()) heap[size++] = i;
    }
    for (int i = size / 2 - 1; i >= 0; i--) siftDown(i);
  }

  /** The first ticket in global order if its stamp is at most the frontier, removed; else null. */
  Ticket pollStable(long frontierMicros) {
    if (size == 0) return null;
    RegionQueue top = queues[heap[0]];
    if (top.head().stampMicros() > frontierMicros) return null;
    polledHash = top.headHash();
    Ticket ticket = top.poll();
    if (top.isEmpty()) heap[0] = heap[--size];
    siftDown(0);
    return ticket;
  }

  /** The keyed hash of the ticket the last {@link #pollStable} returned. */
  long polledHash() {
    return polledHash;
  }

  private void siftDown(int at) {
    int i = at;
    while (true) {
      int smallest = i;
      int left = 2 * i + 1;
      int right = left + 1;
      if (left < size && less(heap[left], heap[smallest])) smallest = left;
      if (right < size && less(heap[right], heap[smallest])) smallest = right;
      if (smallest == i) return;
      int swap = heap[i];
      heap[i] = heap[smallest];
      heap[smallest] = swap;
      i = smallest;
    }
  }

  private boolean less(int a, int b) {
    RegionQueue qa = queues[a];
    RegionQueue qb = queues[b];
    return TieBreak.compare(qa.head(), qa.headHash(), qb.head(), qb.headHash()) < 0;
  }
}
