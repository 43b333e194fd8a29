package flashsale.store;

import static flashsale.store.ArbiterStoreContract.persist;
import static flashsale.store.Sales.auction;
import static flashsale.store.Sales.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.AuctionClose;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventKind;
import flashsale.sale.EventSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The store contract's auction cases: an auction's rules survive the store, and every bid's answer
 * is stored as told, while a standing bid takes no unit and is no winner for the outbox (its unit
 * goes at the close).
 */
interface AuctionStoreContract {
  ArbiterStore store();

  @Test
  default void auctionReadsBackWithItsRulesAndBidAnswersAreStoredWithoutTakingUnits() {
    EventSpec spec = auction("a1", 2);
    assertEquals(spec, store().createEvent("c", spec));
    assertEquals(Optional.of(spec), store().findEvent("a1"));
    assertEquals(EventKind.AUCTION, store().findEvent("a1").orElseThrow().kind());
    long close = spec.endMicros();
    DecisionBatch b = batch("a1", 1, 1)
        .bid("b1", "u1", 1_200, new BidVerdict(BidAnswer.ACCEPTED, 0, close))
        .bid("b2", "u2", 900, new BidVerdict(BidAnswer.TOO_LOW, 1_000, close))
        .bid("b3", "u3", 1_500, new BidVerdict(BidAnswer.ACCEPTED, 0, close))
        .bid("b4", "u4", 1_210, new BidVerdict(BidAnswer.OUTBID, 1_250, close))
        .bid("b5", "u1", 1_800, new BidVerdict(BidAnswer.ACCEPTED, 0, close + 120_000_000L))
        .build();
    persist(store(), b);
    for (Decision d : b.decisions()) assertEquals(Optional.of(d), store().findDecision("a1", d.requestId()));
    assertEquals(b.decisions(), store().loadLedger("a1").decisions());
    EventHead head = store().loadHead("a1");
    assertEquals(2, head.remainingStock(), "no unit is taken before the close");
    assertEquals(0, head.wins());
    assertEquals(5, head.lastRank());
    assertEquals(List.of(), store().readOutbox("a1"), "standing bids are not winners yet");
  }

  @Test
  default void theCloseIsStoredOnceWithItsWinnersInTheOutboxAndNoBidIsAcceptedAfterIt() {
    EventSpec spec = auction("a2", 1);
    store().createEvent("c", spec);
    long close = spec.endMicros();
    DecisionBatch bids = batch("a2", 1, 1)
        .bid("b1", "u1", 1_200, new BidVerdict(BidAnswer.ACCEPTED, 0, close))
        .bid("b2", "u2", 1_400, new BidVerdict(BidAnswer.ACCEPTED, 0, close))
        .build();
    persist(store(), bids);
    AuctionClose result = new AuctionClose("a2", close, List.of(bids.decisions().get(1).ticket()));
    store().persistAuctionClose(result, ArbiterStore.UNFENCED).join();
    store().persistAuctionClose(result, ArbiterStore.UNFENCED).join(); // a retry
    assertEquals(Optional.of(result), store().findAuctionClose("a2"));
    assertEquals(List.of("b2"), store().readOutbox("a2").stream().map(Decision::requestId).toList(), "once, retry or not");
    var other = assertThrows(CompletionException.class, () -> store().persistAuctionClose(
        new AuctionClose("a2", close, List.of(bids.decisions().get(0).ticket())), ArbiterStore.UNFENCED).join());
    assertTrue(other.getCause() instanceof StoreRejectedException, other.toString());

    DecisionBatch late = batch("a2", 2, 3)
        .bid("b3", "u3", 1_300, new BidVerdict(BidAnswer.CLOSED, 0, close))
        .bid("b4", "u4", 9_000, new BidVerdict(BidAnswer.ACCEPTED, 0, close))
        .build();
    var refusal = ArbiterStoreContract.rejected(store(), late);
    assertTrue(refusal.getMessage().contains("closed at " + close), refusal.getMessage());
    assertEquals(2, store().loadHead("a2").lastRank(), "a rejected batch writes nothing");
    persist(store(), batch("a2", 2, 3).bid("b3", "u3", 1_300, new BidVerdict(BidAnswer.CLOSED, 0, close)).build());
    assertEquals(List.of("b2"), store().readOutbox("a2").stream().map(Decision::requestId).toList());
  }

  @Test
  default void anEventStoredBeforeAuctionsHasNoCloseAndAWinnerNeverDecidedIsRejected() {
    store().createEvent("c", flashsale.store.Sales.event("f1", 3, 1));
    assertEquals(Optional.empty(), store().findAuctionClose("f1"));
    EventSpec spec = auction("a3", 1);
    store().createEvent("c3", spec);
    var ghost = assertThrows(CompletionException.class, () -> store().persistAuctionClose(new AuctionClose("a3",
        spec.endMicros(), List.of(flashsale.sale.Ticket.bid("a3", "nobody", "u", 5_000, "beijing", spec.startMicros(), 0))),
        ArbiterStore.UNFENCED).join());
    assertTrue(ghost.getCause() instanceof StoreRejectedException, ghost.toString());
    assertEquals(Optional.empty(), store().findAuctionClose("a3"));
  }
}
