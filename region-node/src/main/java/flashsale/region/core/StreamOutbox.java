package flashsale.region.core;

import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What goes up the arbiter stream next. The arbiter cuts off a region whose stamps do not strictly
 * increase within a stream, so this class owns that order: undecided tickets first on a new stream,
 * queued tickets before any watermark, and a watermark only on a tick with no ticket since the last
 * one. Batching: the first ticket queued asks the caller to schedule one flush, which sends every
 * ticket queued by then as one batch.
 */
public final class StreamOutbox {
  /** Keeps one TicketBatch well under the arbiter's inbound cap (a ticket is ~100 bytes). */
  public static final int MAX_TICKETS_PER_BATCH = 2000;

  /** One message up the stream. */
  public sealed interface Up {
    record Tickets(List<Ticket> tickets) implements Up {}

    record Watermark(long watermarkMicros) implements Up {}
  }

  private final List<Ticket> queued = new ArrayList<>();
  private boolean open;
  private boolean flushScheduled;
  private boolean sentSinceTick;
  private long lastSentMicros = Long.MIN_VALUE;

  /**
   * A new stream: every undecided ticket goes first, in stamp order. The queue is dropped, since
   * queued tickets are undecided too and must not go twice.
   */
  public List<Up> opened(List<Ticket> undecided) {
    open = true;
    queued.clear();
    lastSentMicros = Long.MIN_VALUE; // a new stream may start below the old one's last stamp
    return batches(undecided);
  }

  /** The stream ended; what was queued will be resent by the next {@link #opened}. */
  public void closed() {
    open = false;
    queued.clear();
  }

  /** Queues a new ticket; true when the caller must schedule a {@link #flush()}. */
  public boolean add(Ticket ticket) {
    queued.add(ticket);
    if (flushScheduled) return false;
    flushScheduled = true;
    return true;
  }

  /** The scheduled flush: everything queued, in batches. */
  public List<Up> flush() {
    flushScheduled = false;
    return drain();
  }

  /**
   * A heartbeat tick. Queued tickets go first: they were stamped before the watermark would be.
   * {@code nextStamp} is only called when a watermark is due (it consumes a stamp).
   */
  public List<Up> tick(LongSupplier nextStamp) {
    if (!open) return List.of();
    List<Up> out = new ArrayList<>(drain());
    if (!sentSinceTick) {
      long watermarkMicros = nextStamp.getAsLong();
      advanceTo(watermarkMicros);
      out.add(new Up.Watermark(watermarkMicros));
    }
    sentSinceTick = false;
    return out;
  }

  private List<Up> drain() {
    List<Up> out = open ? batches(queued) : List.of();
    queued.clear();
    return out;
  }

  private List<Up> batches(List<Ticket> tickets) {
    List<Up> out = new ArrayList<>();
    for (int from = 0; from < tickets.size(); from += MAX_TICKETS_PER_BATCH) {
      List<Ticket> batch = List.copyOf(tickets.subList(from, Math.min(tickets.size(), from + MAX_TICKETS_PER_BATCH)));
      for (Ticket t : batch) advanceTo(t.stampMicros());
      out.add(new Up.Tickets(batch));
      sentSinceTick = true;
    }
    return out;
  }

  /** Asserts the stream's order before anything leaves. */
  private void advanceTo(long micros) {
    if (micros <= lastSentMicros) {
      throw new IllegalStateException("stamp " + micros + " us would follow " + lastSentMicros + " us on the stream");
    }
    lastSentMicros = micros;
  }
}
