package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.EventLedger;
import flashsale.sale.Ticket;
import java.util.List;
import java.util.Optional;

/**
 * Orders every region's tickets globally and decides them against stock. A single-threaded
 * state machine: each input carries the arbiter's clock reading {@code nowMicros} and returns
 * the effects to carry out.
 */
public final class Sequencer {

  public Sequencer(SequencerConfig config) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Starts sequencing an event from its durable ledger (fresh, or rebuilt from the store). */
  public List<Effect> eventAdded(EventLedger ledger, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  /** A region opened a new stream. Stamps on the new stream may restart below the last one's. */
  public List<Effect> regionConnected(String region, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  public List<Effect> regionDisconnected(String region, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Tickets in stream order; {@code ticket.region()} equals {@code region}. */
  public List<Effect> ticketsReceived(String region, List<Ticket> tickets, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The region promises no later ticket stamped at or before {@code watermarkMicros}. */
  public List<Effect> watermarkReceived(String region, long watermarkMicros, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The region's measured clock offset (region minus arbiter) and the probe's round trip. */
  public List<Effect> clockReported(String region, long offsetMicros, long roundTripMicros, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The store holds the batch {@code sequence} of {@code eventId}: its decisions may be told. */
  public List<Effect> batchPersisted(String eventId, long sequence, long nowMicros) {
    throw new UnsupportedOperationException("not yet");
  }

  /** A durable decision, if the request was decided and persisted. */
  public Optional<Decision> persistedDecision(String eventId, String requestId) {
    throw new UnsupportedOperationException("not yet");
  }

  public Optional<EventStatus> eventStatus(String eventId) {
    throw new UnsupportedOperationException("not yet");
  }

  public List<RegionStatus> regionStatuses() {
    throw new UnsupportedOperationException("not yet");
  }
}
