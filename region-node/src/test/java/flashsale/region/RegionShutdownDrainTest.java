package flashsale.region;

import static flashsale.region.RegionFixture.assertFails;
import static flashsale.region.RegionFixture.decision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.DecisionBatch;
import flashsale.v1.Outcome;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Ticket;
import io.grpc.Status;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A region node told to stop (SIGTERM, a rollout) takes no new calls but waits, up to
 * {@code --shutdown-drain-ms}, for its pending purchases' decisions: a buyer keeps the stamp the
 * node gave, instead of an UNAVAILABLE and a retry stamped later elsewhere.
 */
class RegionShutdownDrainTest {

  @Test
  void aStoppingRegionAnswersItsPendingPurchaseWithTheDecisionThatComesDuringTheDrain() throws Exception {
    try (RegionFixture f = new RegionFixture(RegionFixture.config().shutdownDrainMs(10_000).build(), InstantSource.system())) {
      var call = f.purchase("shoes", "alice", "a", 1);
      Ticket ticket = f.stream.nextTicket();

      RegionFixture.await("serving before the stop", f.region::serving);
      CompletableFuture<Void> stopping = stopInBackground(f);
      Thread.sleep(300);
      assertFalse(stopping.isDone(), "the stop waits while a purchase is pending");
      assertFalse(f.region.serving(), "/readyz says NOT_SERVING through the drain, as gRPC health does");
      f.stream.send(SequenceResponse.newBuilder()
          .setDecisionBatch(DecisionBatch.newBuilder().addDecisions(decision(ticket, true, 1))).build());

      assertEquals(Outcome.OUTCOME_WON, call.get(5, TimeUnit.SECONDS).getDecision().getOutcome());
      stopping.get(5, TimeUnit.SECONDS); // and ends once nothing is pending, long before the 10 s drain
    }
  }

  /** The arbiter link drops mid-drain (a failover during the rollout): the ticket is resent and its decision still answers the buyer. */
  @Test
  void aLinkThatDropsDuringTheDrainReconnectsAndTheResentTicketIsDecided() throws Exception {
    try (RegionFixture f = new RegionFixture(RegionFixture.config().shutdownDrainMs(10_000).build(), InstantSource.system())) {
      var call = f.purchase("shoes", "alice", "a", 1);
      f.stream.nextTicket();

      CompletableFuture<Void> stopping = stopInBackground(f);
      Thread.sleep(100);
      f.stream.breakWith(Status.UNAVAILABLE.withDescription("leader lost its lease"));
      FakeArbiter.Stream next = f.arbiter.nextStream();
      Ticket resent = next.nextTicket();
      next.send(SequenceResponse.newBuilder()
          .setDecisionBatch(DecisionBatch.newBuilder().addDecisions(decision(resent, true, 1))).build());

      assertEquals(Outcome.OUTCOME_WON, call.get(5, TimeUnit.SECONDS).getDecision().getOutcome());
      stopping.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void whatIsStillUndecidedWhenTheDrainEndsIsRefusedShuttingDown() throws Exception {
    try (RegionFixture f = new RegionFixture(RegionFixture.config().shutdownDrainMs(400).build(), InstantSource.system())) {
      var call = f.purchase("shoes", "alice", "a", 1);
      f.stream.nextTicket();

      long startNanos = System.nanoTime();
      CompletableFuture<Void> stopping = stopInBackground(f);
      assertFails(Status.Code.UNAVAILABLE, ErrorReason.SHUTTING_DOWN, call);
      stopping.get(10, TimeUnit.SECONDS);
      long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
      assertTrue(stopMs >= 400, "refused only after the drain: " + stopMs + " ms");
    }
  }

  private static CompletableFuture<Void> stopInBackground(RegionFixture f) {
    return CompletableFuture.runAsync(() -> {
      try {
        f.region.stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
  }
}
