package flashsale.arbiter.metrics;

import flashsale.sale.TicketRefusal;
import flashsale.arbiter.core.Effect;
import flashsale.metrics.NodeMeters;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The arbiter's meters: decisions by outcome, late tickets, rejections, cut-offs, and how long
 * (and how often in vain) decision batches take to become durable.
 */
public final class ArbiterMetrics {
  private final MeterRegistry registry;
  private final Counter won;
  private final Counter lost;
  private final Counter bidAccepted;
  private final Counter late;
  private final Counter persistFailures;
  private final Counter cutOffs;
  private final Counter fenced;
  private final Counter diverged;
  private final Counter refused;
  private final Timer persistLatency;
  private final Timer decisionLatency;
  private final Timer releaseWait;

  public ArbiterMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.won = Counter.builder("flashsale_decisions").tag("outcome", "won").description("Decisions made durable").register(registry);
    this.lost = Counter.builder("flashsale_decisions").tag("outcome", "lost").description("Decisions made durable").register(registry);
    // An accepted bid wins nothing yet (the close decides): it is neither a win nor a loss.
    this.bidAccepted = Counter.builder("flashsale_decisions").tag("outcome", "bid_accepted")
        .description("Decisions made durable").register(registry);
    this.late = Counter.builder("flashsale_late_tickets").description("Tickets ranked after their stamp had been passed").register(registry);
    this.persistFailures = Counter.builder("flashsale_persist_failures").description("Writes of decision batches, order changes and auction results that failed and were retried").register(registry);
    this.cutOffs = Counter.builder("flashsale_region_cutoffs").description("Region streams ended by the arbiter: stamps out of order or too far ahead, a malformed or unexpected message, another region's or partition's hello, a certificate no longer valid").register(registry);
    this.fenced = Counter.builder("flashsale_fenced_batches").description("Batches refused because a newer leader holds the event").register(registry);
    this.diverged = Counter.builder("flashsale_diverged_batches")
        .description("Batches the store refused because it holds other ranks for the event; each ended the term").register(registry);
    this.refused = Counter.builder("flashsale_refused_batches").description("Batches the store refused for decisions or units of an earlier term; decided again").register(registry);
    this.persistLatency = NodeMeters.latencyHistogram(Timer.builder("flashsale_persist_latency")
        .description("From batch built to durable in the store")).register(registry);
    this.decisionLatency = NodeMeters.latencyHistogram(Timer.builder("flashsale_decision_latency")
        .description("From a ticket's arrival stamp at its region to its decision being durable")).register(registry);
    this.releaseWait = NodeMeters.latencyHistogram(Timer.builder("flashsale_release_wait")
        .description("From a ticket's arrival stamp to its release by the watermark frontier (decided)")).register(registry);
    for (TicketRefusal reason : TicketRefusal.values()) rejected(reason); // series from start-up
  }

  /** A batch became durable at {@code nowMicros} (arbiter clock), {@code elapsedNanos} after it was built. */
  public void batchPersisted(DecisionBatch batch, long elapsedNanos, long nowMicros) {
    persistLatency.record(elapsedNanos, TimeUnit.NANOSECONDS);
    for (Decision d : batch.decisions()) {
      (d.won() ? (d.bid().isPresent() ? bidAccepted : won) : lost).increment();
      if (d.late()) late.increment();
      long stampMicros = d.ticket().stampMicros();
      decisionLatency.record(Math.max(0, nowMicros - stampMicros), TimeUnit.MICROSECONDS);
      releaseWait.record(Math.max(0, d.decideMicros() - stampMicros), TimeUnit.MICROSECONDS);
    }
  }

  public void persistFailed() {
    persistFailures.increment();
  }

  public void batchRefused() {
    refused.increment();
  }

  public void fenced() {
    fenced.increment();
  }

  public void diverged() {
    diverged.increment();
  }

  public void regionCutOff() {
    cutOffs.increment();
  }

  public void ticketRejected(TicketRefusal reason) {
    rejected(reason).increment();
  }

  private Counter rejected(TicketRefusal reason) {
    return Counter.builder("flashsale_rejected_tickets").tag("reason", reason.name())
        .description("Tickets the arbiter refused to rank").register(registry);
  }
}
