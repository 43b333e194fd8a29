package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.core.StreamOutbox.Up;
import flashsale.sale.Ticket;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StreamOutboxTest {
  private final StreamOutbox outbox = new StreamOutbox();
  private long clock = 1_000;

  private static Ticket ticket(long stamp) {
    return new Ticket("shoes", "r" + stamp, "u" + stamp, 1, "eu", stamp);
  }

  private long nextStamp() {
    return ++clock;
  }

  @Test
  void firstTicketAsksForOneFlushThatSendsEverythingQueuedAsOneBatch() {
    outbox.opened(List.of());
    assertTrue(outbox.add(ticket(10)));
    assertFalse(outbox.add(ticket(11)), "a flush is already scheduled");
    assertEquals(List.of(new Up.Tickets(List.of(ticket(10), ticket(11)))), outbox.flush());
    assertTrue(outbox.add(ticket(12)), "after the flush, the next ticket schedules another");
  }

  @Test
  void tickBeforeTheFlushSendsQueuedTicketsAheadOfNothingElse() {
    outbox.opened(List.of());
    Ticket t = ticket(nextStamp());
    outbox.add(t);
    // The tick runs before the scheduled flush: the ticket must precede any later stamp.
    assertEquals(List.of(new Up.Tickets(List.of(t))), outbox.tick(this::nextStamp));
    assertEquals(List.of(), outbox.flush(), "nothing left for the scheduled flush");
    assertEquals(List.of(new Up.Watermark(t.stampMicros() + 1)), outbox.tick(this::nextStamp));
  }

  @Test
  void watermarkOnlyOnTicksWithNoTicketSinceTheLastTick() {
    outbox.opened(List.of());
    assertEquals(List.of(new Up.Watermark(1_001)), outbox.tick(this::nextStamp));
    outbox.add(ticket(nextStamp()));
    outbox.flush();
    assertEquals(List.of(), outbox.tick(this::nextStamp), "the ticket served as this tick's watermark");
    assertEquals(List.of(new Up.Watermark(1_003)), outbox.tick(this::nextStamp));
  }

  @Test
  void newStreamResendsUndecidedFirstAndDropsTheQueue() {
    outbox.opened(List.of());
    outbox.add(ticket(50));
    outbox.closed();
    assertEquals(List.of(), outbox.flush(), "nothing goes out while closed");
    assertEquals(List.of(), outbox.tick(this::nextStamp));
    outbox.add(ticket(60));
    List<Up> resend = outbox.opened(List.of(ticket(50), ticket(60)));
    assertEquals(List.of(new Up.Tickets(List.of(ticket(50), ticket(60)))), resend);
    assertEquals(List.of(), outbox.flush(), "queued tickets went out with the resend, once");
  }

  @Test
  void newStreamMayRestartBelowTheOldStreamsLastStamp() {
    outbox.opened(List.of());
    outbox.tick(() -> 9_000);
    assertEquals(List.of(new Up.Tickets(List.of(ticket(100)))), outbox.opened(List.of(ticket(100))));
  }

  @Test
  void largeResendIsSplitIntoBoundedBatchesInOrder() {
    List<Ticket> many = IntStream.rangeClosed(1, StreamOutbox.MAX_TICKETS_PER_BATCH + 5)
        .mapToObj(StreamOutboxTest::ticket).toList();
    List<Up> out = outbox.opened(many);
    assertEquals(2, out.size());
    assertEquals(many.subList(0, StreamOutbox.MAX_TICKETS_PER_BATCH), ((Up.Tickets) out.get(0)).tickets());
    assertEquals(5, ((Up.Tickets) out.get(1)).tickets().size());
  }

  @Test
  void refusesToSendAStampThatIsNotAboveTheLastOne() {
    outbox.opened(List.of());
    outbox.tick(() -> 2_000);
    outbox.add(ticket(2_000));
    assertThrows(IllegalStateException.class, outbox::flush);
  }
}
