package flashsale.arbiter.core;

import flashsale.arbiter.testing.ManualLoop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.loop.LoopScheduler;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.store.testing.ForwardingArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The loop logic around the sequencer, on a hand-driven loop and store: a failed write is retried
 * as is and told only once it holds, a fenced write ends the term, and a write of an ended term
 * tells nothing.
 */
class SequencerRunnerTest {
  private static final EventSpec SPEC = SequencerDriver.spec(1, 1, 7, "r");

  private final ManualLoop loop = new ManualLoop();
  private final HeldStore store = new HeldStore();
  private final List<Effect> carriedOut = new ArrayList<>();
  private final List<Long> fencedEpochs = new ArrayList<>();
  private int persistFailures;
  private final SequencerRunner runner = new SequencerRunner(store, InstantSource.fixed(Instant.ofEpochSecond(1)), loop,
      new SequencerRunner.Outlet() {
        @Override
        public void carryOut(Effect effect) {
          carriedOut.add(effect);
        }

        @Override
        public void fenced(long epoch) {
          fencedEpochs.add(epoch);
        }

        @Override
        public void persistFailed() {
          persistFailures++;
        }
      });

  @Test
  void aFailedWriteIsRetriedAsIsAndToldOnlyOnceTheStoreHoldsIt() {
    decideOneTicket(1);
    store.fail(new IllegalStateException("redis connection reset"));
    loop.runReady();
    assertEquals(1, persistFailures);
    assertTrue(told().isEmpty(), "nothing told before the store holds it");

    loop.fireTimers();
    DecisionBatch retried = store.writes.peek().batch();
    store.complete();
    loop.runReady();
    assertEquals(1, told().size());
    assertEquals(store.findDecision(SPEC.eventId(), "a").orElseThrow(), told().getFirst());
    assertEquals(1, retried.sequence(), "the same batch again");
  }

  @Test
  void aFencedWriteEndsTheTermAndTellsNothing() {
    decideOneTicket(1);
    store.fenceEvent(SPEC.eventId(), 2); // a new leader claimed the event meanwhile
    store.complete();
    loop.runReady();
    assertEquals(List.of(1L), fencedEpochs);
    assertFalse(runner.leading());
    assertTrue(told().isEmpty());
    carriedOut.clear(); // the region's welcome, carried out while leading
    runner.apply(s -> s.tick(2_000_000_000_000L));
    assertTrue(carriedOut.isEmpty(), "a standby decides nothing");
  }

  @Test
  void aBatchTheStoreHoldsOtherRanksForEndsALeasedTermInsteadOfRetryingForever() {
    decideOneTicket(1);
    // e.g. the term sequenced the event from a head read before another leader decided more of it
    store.fail(new flashsale.store.StoreDivergedException("rank 1 is already decided differently (last rank 3)"));
    loop.runReady();
    assertEquals(List.of(1L), fencedEpochs, "handed over to a leader that rebuilds from the store");
    assertFalse(runner.leading());
    assertTrue(told().isEmpty());
    loop.fireTimers();
    assertTrue(store.writes.isEmpty(), "not written again");
  }

  @Test
  void otherRejectionsAndALoneArbitersDivergenceAreRetried() {
    decideOneTicket(1);
    store.fail(new flashsale.store.StoreRejectedException("request id a appears twice in one batch"));
    loop.runReady();
    assertTrue(fencedEpochs.isEmpty(), "a broken batch would recur after a rebuild: no hand-over");
    assertTrue(runner.leading());
    loop.fireTimers();
    assertEquals(1, store.writes.size(), "the batch again");
    store.writes.clear();

    runner.standBy();
    decideOneTicket(flashsale.store.ArbiterStore.UNFENCED); // a lone arbiter
    store.fail(new flashsale.store.StoreDivergedException("rank 1 is already decided differently"));
    loop.runReady();
    assertTrue(fencedEpochs.isEmpty(), "the only writer has no leader to hand over to");
    assertTrue(runner.leading());
  }

  @Test
  void aWriteOfAnEndedTermTellsNothingInTheNext() {
    decideOneTicket(1);
    runner.standBy();
    runner.lead(new Sequencer(SequencerDriver.EXACT_STAMPS), 2);
    store.complete();
    loop.runReady();
    assertTrue(told().isEmpty());
    assertTrue(fencedEpochs.isEmpty());
  }

  @Test
  void anAuctionsResultIsStoredWithItsWinnersInTheOutboxBeforeItIsAnnounced() {
    EventSpec auction = EventSpec.auction("auction", "painting", flashsale.sale.AuctionRules.hardClose(1, 100, 10, "EUR"),
        0, 5_000, List.of("r"), 7);
    store.createEvent("create-auction", auction);
    runner.lead(new Sequencer(SequencerDriver.EXACT_STAMPS), 1);
    runner.apply(s -> s.eventAdded(EventHead.fresh(auction), 1_000));
    runner.apply(s -> s.regionConnected("r", 1_000));
    runner.apply(s -> s.ticketsReceived("r", List.of(Ticket.bid("auction", "b1", "u1", 150, "r", 1_000, 0),
        Ticket.bid("auction", "b2", "u2", 300, "r", 2_000, 0)), 2_000));
    runner.apply(s -> s.watermarkReceived("r", 6_000, 6_000));
    store.complete();
    assertTrue(carriedOut.stream().noneMatch(e -> e instanceof Effect.AnnounceAuctionClose), "not before the store holds it");
    loop.runReady();
    var announced = carriedOut.stream().filter(e -> e instanceof Effect.AnnounceAuctionClose)
        .map(e -> ((Effect.AnnounceAuctionClose) e).close()).toList();
    assertEquals(1, announced.size());
    assertEquals(store.findAuctionClose("auction"), java.util.Optional.of(announced.getFirst()));
    assertEquals(List.of("b2"), store.readOutbox("auction").stream().map(Decision::requestId).toList());
  }

  /** Leads under {@code epoch} and releases one ticket: one batch goes to the store. */
  private void decideOneTicket(long epoch) {
    store.createEvent("create", SPEC);
    runner.lead(new Sequencer(SequencerDriver.EXACT_STAMPS), epoch);
    runner.apply(s -> s.eventAdded(EventHead.fresh(SPEC), 1_000));
    runner.apply(s -> s.regionConnected("r", 1_000));
    Ticket ticket = SequencerDriver.ticket("a", "r", 1_000);
    runner.apply(s -> s.ticketsReceived("r", List.of(ticket), 1_000));
    runner.apply(s -> s.watermarkReceived("r", 2_000, 2_000));
    assertEquals(1, store.writes.size(), "one batch in flight");
  }

  private List<Decision> told() {
    return carriedOut.stream().filter(e -> e instanceof Effect.SendDecisions)
        .flatMap(e -> ((Effect.SendDecisions) e).decisions().stream()).toList();
  }


  /** The in-memory store, each batch write held until the test completes or fails it. */
  private static final class HeldStore extends ForwardingArbiterStore {
    record Write(DecisionBatch batch, long epoch, CompletableFuture<Void> reply) {}

    final ArrayDeque<Write> writes = new ArrayDeque<>();

    HeldStore() {
      super(new InMemoryArbiterStore());
    }

    @Override
    public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
      CompletableFuture<Void> reply = new CompletableFuture<>();
      writes.add(new Write(batch, fencingEpoch, reply));
      return reply;
    }

    /** The oldest write reaches the store; its reply is what the store answers. */
    void complete() {
      Write w = writes.poll();
      delegate.persistBatch(w.batch(), w.epoch()).whenComplete((ok, e) -> {
        if (e == null) w.reply().complete(null);
        else w.reply().completeExceptionally(e);
      });
    }

    void fail(RuntimeException error) {
      writes.poll().reply().completeExceptionally(error);
    }
  }
}
