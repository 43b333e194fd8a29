package flashsale.arbiter.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An accepted bid wins nothing until the close: the decisions counter does not call it a win. */
class ArbiterMetricsTest {
  @Test
  void anAcceptedBidIsCountedApartFromWinsAndLosses() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ArbiterMetrics metrics = new ArbiterMetrics(registry);
    Ticket shoe = new Ticket("shoes", "p1", "ann", 1, "east", 1_000);
    Ticket bid = new Ticket("vase", "b1", "bob", 1, "east", 1_000, 0, List.of(), 1_200);
    Ticket low = new Ticket("vase", "b2", "cy", 1, "east", 1_100, 0, List.of(), 900);
    metrics.batchPersisted(new DecisionBatch("shoes", 1, List.of(new Decision(shoe, Outcome.WON, LossReason.NONE, 1, 1_500, false))),
        1_000, 2_000);
    metrics.batchPersisted(new DecisionBatch("vase", 1, List.of(
        Decision.ofBid(bid, new BidVerdict(BidAnswer.ACCEPTED, 0, 9_000), 1, 1_500, false),
        Decision.ofBid(low, new BidVerdict(BidAnswer.TOO_LOW, 1_000, 9_000), 2, 1_500, false))), 1_000, 2_000);
    Map<String, Double> byOutcome = new java.util.TreeMap<>();
    registry.find("flashsale_decisions").counters()
        .forEach(c -> byOutcome.put(c.getId().getTag("outcome"), c.count()));
    assertEquals(Map.of("bid_accepted", 1.0, "lost", 1.0, "won", 1.0), byOutcome);
  }
}
