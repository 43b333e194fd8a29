package flashsale.store;

import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventLedger;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ArbiterStore} must do, as its users see it. Subclasses supply the store over
 * empty state.
 */
public abstract class ArbiterStoreContract
    implements ReservationStoreContract, AuctionStoreContract, RegionNodeStoreContract {
  protected ArbiterStore store;

  @Override
  public ArbiterStore store() {
    return store;
  }

  /** A new store over empty state. */
  protected abstract ArbiterStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected static void persist(ArbiterStore store, DecisionBatch batch) {
    try {
      store.persistBatch(batch).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("batch " + batch.sequence() + " failed", e.getCause());
    } catch (Exception e) {
      throw new AssertionError("batch " + batch.sequence() + " did not complete", e);
    }
  }

  protected static StoreRefusedException refused(ArbiterStore store, DecisionBatch batch) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> store.persistBatch(batch).get(30, TimeUnit.SECONDS));
    return assertInstanceOf(StoreRefusedException.class, e.getCause());
  }

  protected static StoreRejectedException rejected(ArbiterStore store, DecisionBatch batch) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> store.persistBatch(batch).get(30, TimeUnit.SECONDS));
    return assertInstanceOf(StoreRejectedException.class, e.getCause());
  }

  @Test
  void createEventRetriedWithTheSameRequestIdReturnsTheEventStoredFirst() {
    EventSpec first = event("e1", 10, 2);
    assertEquals(first, store.createEvent("create-1", first));
    // A retry draws another tie-break seed; it still gets the first event, seed included.
    assertEquals(first, store.createEvent("create-1", first.withTieBreakSeed(first.tieBreakSeed() + 1)));
    assertEquals(Optional.of(first), store.findEvent("e1"));
  }

  @Test
  void aPoolEventIsStoredWithItsFlagAndItsPoolsMarkedOpenForGood() {
    EventSpec central = new EventSpec("c1", "shoes", 10, Sales.START_MICROS, Sales.START_MICROS + 3_600_000_000L, 2, List.of("near", "far"),
        flashsale.sale.SaleMode.CENTRAL, 7).withPoolsOpenedAtCreation(true);
    store.createEvent("create-c1", central);
    assertEquals(Optional.of(central), store.findEvent("c1"), "the flag is stored with the event");
    assertEquals(false, store.poolsOpened("c1"));
    store.markPoolsOpened("c1");
    store.markPoolsOpened("c1"); // idempotent
    assertEquals(true, store.poolsOpened("c1"));
    assertEquals(false, store.poolsOpened("nothing"));
    // A retry by a build that does not know the flag still gets the event stored first.
    assertEquals(central, store.createEvent("create-c1", central.withPoolsOpenedAtCreation(false)));
  }

  @Test
  void createEventWithAReusedRequestIdAndOtherContentFailsAndKeepsTheFirst() {
    EventSpec first = event("e1", 10, 2);
    store.createEvent("create-1", first);
    var sameIdOtherStock = assertThrows(RequestIdReusedException.class, () -> store.createEvent("create-1", event("e1", 99, 5)));
    assertEquals("e1", sameIdOtherStock.eventId());
    var otherEvent = assertThrows(RequestIdReusedException.class, () -> store.createEvent("create-1", event("e2", 10, 2)));
    assertEquals("e1", otherEvent.eventId());
    assertEquals(Optional.of(first), store.findEvent("e1"));
    assertEquals(Optional.empty(), store.findEvent("e2"));
    assertEquals(List.of(first), store.listLiveEvents());
  }

  @Test
  void aRequestIdRefusedForAnExistingEventCanStillCreateItsOwn() {
    store.createEvent("create-1", event("e1", 10, 2));
    assertThrows(EventExistsException.class, () -> store.createEvent("create-2", event("e1", 10, 2)));
    EventSpec second = event("e2", 10, 2);
    assertEquals(second, store.createEvent("create-2", second));
  }

  @Test
  void createEventUnderAnotherRequestIdFailsAndKeepsTheFirst() {
    EventSpec first = event("e1", 10, 2);
    store.createEvent("create-1", first);
    assertThrows(EventExistsException.class, () -> store.createEvent("create-2", event("e1", 10, 2)));
    assertEquals(Optional.of(first), store.findEvent("e1"));
  }

  @Test
  void createEventRefusesAnEventIdThatCannotBeAHashTag() {
    assertThrows(IllegalArgumentException.class, () -> store.createEvent("create-1", event("bad}id", 10, 2)));
    assertEquals(List.of(), store.listLiveEvents());
  }

  @Test
  void findsAndListsCreatedEvents() {
    EventSpec a = event("a", 1, 1), b = event("b.2026", 2, 1), c = event("c:x-y_z", 3, 3);
    for (EventSpec e : List.of(a, b, c)) store.createEvent("create-" + e.eventId(), e);
    assertEquals(Set.of(a, b, c), new HashSet<>(store.listLiveEvents()));
    assertEquals(Set.of(a, c), new HashSet<>(store.listLiveEvents(id -> !id.startsWith("b"))), "a partition's own");
    assertEquals(List.of(), store.listLiveEvents(id -> false));
    assertEquals(Optional.of(b), store.findEvent("b.2026"));
    assertEquals(Optional.empty(), store.findEvent("nope"));
  }

  @Test
  void storedDecisionsReadBackFieldForField() {
    store.createEvent("c", event("e1", 10, 3));
    DecisionBatch b = batch("e1", 1, 1)
        .win("req|with|pipes", "user|1", 2)
        .lose("req {braces} \"quotes\" ~!@#$%^&*()", "u2", 1, LossReason.LIMIT_EXCEEDED)
        .win("r3", "u3", 3)
        .lose("r4", "u4", 9, LossReason.INSUFFICIENT_STOCK)
        .lose("r5", "u5", 1, LossReason.SOLD_OUT)
        .build();
    persist(store, b);
    for (Decision d : b.decisions()) assertEquals(Optional.of(d), store.findDecision("e1", d.requestId()));
    assertEquals(Optional.empty(), store.findDecision("e1", "never-sent"));
    assertEquals(Optional.empty(), store.findDecision("no-such-event", "r3"));
  }

  @Test
  void batchThatWouldOversellByOneUnitWritesNothing() {
    store.createEvent("c", event("e1", 5, 5));
    DecisionBatch oversell = batch("e1", 1, 1).win("r1", "u1", 2).lose("r2", "u2", 1, LossReason.SOLD_OUT)
        .win("r3", "u3", 2).win("r4", "u4", 2).build();
    rejected(store, oversell);

    for (Decision d : oversell.decisions()) assertEquals(Optional.empty(), store.findDecision("e1", d.requestId()));
    assertEquals(EventLedger.fresh(event("e1", 5, 5)), store.loadLedger("e1"));
    assertEquals(List.of(), store.readOutbox("e1"));
    assertEquals(List.of(), store.listDecisions("e1", 0, 10));

    // The ranks are still free: the corrected batch goes in.
    persist(store, batch("e1", 1, 1).win("r1", "u1", 2).lose("r2", "u2", 1, LossReason.SOLD_OUT)
        .win("r3", "u3", 2).lose("r4", "u4", 2, LossReason.INSUFFICIENT_STOCK).build());
    assertEquals(1, store.loadLedger("e1").remainingStock());
  }

  @Test
  void sameBatchAppliedTwiceIsANoOp() {
    store.createEvent("c", event("e1", 10, 5));
    DecisionBatch b1 = batch("e1", 1, 1).win("r1", "u1", 2).lose("r2", "u2", 1, LossReason.LIMIT_EXCEEDED).build();
    DecisionBatch b2 = batch("e1", 2, 3).win("r3", "u3", 3).build();
    persist(store, b1);
    persist(store, b2);
    EventLedger before = store.loadLedger("e1");

    persist(store, b1);
    persist(store, b2);

    assertEquals(before, store.loadLedger("e1"));
    assertEquals(5, before.remainingStock());
    assertEquals(List.of(b1.decisions().get(0), b2.decisions().get(0)), store.readOutbox("e1"));
  }

  @Test
  void anotherBatchRedecidingADecidedRequestIsRejected() {
    store.createEvent("c", event("e1", 10, 5));
    persist(store, batch("e1", 1, 1).win("r1", "u1", 1).win("r2", "u2", 1).build());
    EventLedger before = store.loadLedger("e1");

    StoreRefusedException retry = refused(store, batch("e1", 2, 3).win("r3", "u3", 1).win("r1", "u1", 1).build());
    assertEquals(Map.of("r1", before.decisions().get(0)), retry.decided(), "the stored decision, for the retry");
    assertEquals(Map.of(), retry.unitsHeld());
    // Same ranks, same request ids, other outcome: not a retry but a conflicting decision.
    assertInstanceOf(StoreDivergedException.class,
        rejected(store, batch("e1", 1, 1).lose("r1", "u1", 1, LossReason.SOLD_OUT).win("r2", "u2", 1).build()),
        "ranks the store holds otherwise: the writer's view diverged");
    StoreRejectedException twice = rejected(store, batch("e1", 2, 3).win("r9", "u9", 1).win("r9", "u9", 1).build());
    assertFalse(twice instanceof StoreDivergedException, "a broken batch, not a view behind the store's: " + twice);

    assertEquals(before, store.loadLedger("e1"));
    assertEquals(Optional.empty(), store.findDecision("e1", "r3"));
  }

  @Test
  void rankGapsAreRejected() {
    store.createEvent("c", event("e1", 10, 5));
    assertInstanceOf(StoreDivergedException.class, rejected(store, batch("e1", 1, 2).win("r1", "u1", 1).build()));
    persist(store, batch("e1", 1, 1).win("r1", "u1", 1).win("r2", "u2", 1).build());
    StoreRejectedException gap = rejected(store, batch("e1", 2, 4).win("r4", "u4", 1).build());
    assertInstanceOf(StoreDivergedException.class, gap);
    assertTrue(gap.getMessage().contains("e1"), gap.getMessage());
    persist(store, batch("e1", 2, 3).win("r3", "u3", 1).build());
    assertEquals(3, store.loadLedger("e1").lastRank());
  }

  @Test
  void perUserLimitIsEnforcedByTheStore() {
    store.createEvent("c", event("e1", 100, 2));
    persist(store, batch("e1", 1, 1).win("r1", "alice", 1).win("r2", "alice", 1).build());

    assertEquals(Map.of("alice", 2L), refused(store, batch("e1", 2, 3).win("r3", "alice", 1).build()).unitsHeld());
    assertEquals(Map.of("bob", 0L),
        refused(store, batch("e1", 2, 3).win("r3", "bob", 2).win("r4", "bob", 1).build()).unitsHeld());
    StoreRefusedException both = refused(store, batch("e1", 2, 3).win("r1", "alice", 1).win("r5", "alice", 1).build());
    assertEquals(Set.of("r1"), both.decided().keySet(), "every decided request id in one refusal");
    assertEquals(Map.of("alice", 2L), both.unitsHeld(), "and every user over the limit");
    persist(store, batch("e1", 2, 3).lose("r3", "alice", 1, LossReason.LIMIT_EXCEEDED).win("r4", "bob", 2).build());

    assertEquals(Map.of("alice", 2L, "bob", 2L), store.loadLedger("e1").unitsWonByUser());
    assertEquals(96, store.loadLedger("e1").remainingStock());
  }

  @Test
  void persistingForAnUnknownEventFails() {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> store.persistBatch(batch("ghost", 1, 1).win("r1", "u1", 1).build()).get(30, TimeUnit.SECONDS));
    assertInstanceOf(EventNotFoundException.class, e.getCause());
    assertThrows(EventNotFoundException.class, () -> store.loadLedger("ghost"));
  }

  @Test
  void outboxHoldsExactlyTheWinnersInRankOrder() {
    store.createEvent("c", event("e1", 6, 3));
    DecisionBatch b1 = batch("e1", 1, 1).lose("r1", "u1", 9, LossReason.INSUFFICIENT_STOCK).win("r2", "u2", 3)
        .lose("r3", "u2", 1, LossReason.LIMIT_EXCEEDED).win("r4", "u4", 1).build();
    DecisionBatch b2 = batch("e1", 2, 5).win("r5", "u5", 2).lose("r6", "u6", 1, LossReason.SOLD_OUT).build();
    persist(store, b1);
    persist(store, b2);

    List<Decision> winners = java.util.stream.Stream.concat(b1.decisions().stream(), b2.decisions().stream())
        .filter(Decision::won).toList();
    assertEquals(3, winners.size());
    assertEquals(winners, store.readOutbox("e1"));
    assertEquals(List.of(), store.readOutbox("no-such-event"));
  }

  @Test
  void ledgerReproducesStockUsersAndDecisionsInRankOrder() {
    EventSpec spec = event("e1", 20, 4);
    store.createEvent("c", spec);
    DecisionBatch b1 = batch("e1", 1, 1).win("r1", "u1", 3).win("r2", "u2", 1)
        .lose("r3", "u3", 5, LossReason.LIMIT_EXCEEDED).build();
    DecisionBatch b2 = batch("e1", 2, 4).win("r4", "u1", 1).win("r5", "u3", 4).build();
    persist(store, b1);
    persist(store, b2);

    EventLedger ledger = store.loadLedger("e1");
    assertEquals(spec, ledger.spec());
    assertEquals(20 - 3 - 1 - 1 - 4, ledger.remainingStock());
    assertEquals(Map.of("u1", 4L, "u2", 1L, "u3", 4L), ledger.unitsWonByUser());
    List<Decision> all = new java.util.ArrayList<>(b1.decisions());
    all.addAll(b2.decisions());
    assertEquals(all, ledger.decisions());
  }

  @Test
  void listDecisionsPagesInRankOrder() {
    store.createEvent("c", event("e1", 100, 10));
    Sales.Batch b = batch("e1", 1, 1);
    for (int i = 1; i <= 10; i++) b.win("r" + i, "u" + i, 1);
    List<Decision> all = b.build().decisions();
    persist(store, b.build());

    assertEquals(all.subList(0, 3), store.listDecisions("e1", 0, 3));
    assertEquals(all.subList(3, 6), store.listDecisions("e1", 3, 3));
    assertEquals(all.subList(6, 9), store.listDecisions("e1", 6, 3));
    assertEquals(all.subList(9, 10), store.listDecisions("e1", 9, 3));
    assertEquals(List.of(), store.listDecisions("e1", 10, 3));
    assertEquals(all, store.listDecisions("e1", 0, 1000));
    assertEquals(List.of(), store.listDecisions("e1", 0, 0));
    assertEquals(List.of(), store.listDecisions("no-such-event", 0, 5));
  }

  @Test
  void stockNeverGoesNegativeUnderConcurrentConflictingWriters() throws Exception {
    long stock = 120;
    store.createEvent("c", event("e1", stock, 1_000));
    ConflictingWriters.Outcome outcome = ConflictingWriters.sell(store, "e1", 8, 20260101L);

    EventLedger ledger = store.loadLedger("e1");
    List<Decision> decisions = ledger.decisions();
    assertEquals(0, ledger.remainingStock(), "demand exceeded stock, so it must sell out");
    assertEquals(stock, decisions.stream().mapToLong(Decision::unitsWon).sum());
    assertEquals(stock, ledger.unitsWonByUser().values().stream().mapToLong(Long::longValue).sum());
    assertEquals(decisions.stream().filter(Decision::won).toList(), store.readOutbox("e1"));
    assertEquals(decisions.size(), decisions.stream().map(Decision::requestId).distinct().count());
    for (int i = 0; i < decisions.size(); i++) assertEquals(i + 1, decisions.get(i).rank());
    assertTrue(outcome.applied() > 1 && outcome.rejected() > 0, "writers did not conflict: " + outcome);
  }

  protected static StoreFencedException fenced(ArbiterStore store, DecisionBatch batch, long epoch) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> store.persistBatch(batch, epoch).get(30, TimeUnit.SECONDS));
    return assertInstanceOf(StoreFencedException.class, e.getCause());
  }

  @Test
  void batchOfADeposedLeaderIsFencedAndWritesNothing() throws Exception {
    store.createEvent("c", event("e1", 10, 5));
    store.persistBatch(batch("e1", 1, 1).win("r1", "u1", 2).build(), 3).get(30, TimeUnit.SECONDS);
    store.fenceEvent("e1", 4);
    EventLedger claimed = store.loadLedger("e1");

    fenced(store, batch("e1", 2, 2).win("r2", "u2", 1).build(), 3);
    fenced(store, batch("e1", 1, 1).win("r1", "u1", 2).build(), 3); // even an exact retry
    assertEquals(claimed, store.loadLedger("e1"));
    assertEquals(1, store.readOutbox("e1").size());

    store.persistBatch(batch("e1", 1, 2).win("r2", "u2", 1).build(), 4).get(30, TimeUnit.SECONDS);
    assertEquals(7, store.loadLedger("e1").remainingStock());
  }

  @Test
  void writeUnderAHigherEpochFencesEveryLowerOne() throws Exception {
    store.createEvent("c", event("e1", 10, 5));
    store.persistBatch(batch("e1", 1, 1).win("r1", "u1", 1).build()).get(30, TimeUnit.SECONDS); // unfenced writer
    store.persistBatch(batch("e1", 1, 2).win("r2", "u2", 1).build(), 7).get(30, TimeUnit.SECONDS);
    fenced(store, batch("e1", 2, 3).win("r3", "u3", 1).build(), ArbiterStore.UNFENCED);
    fenced(store, batch("e1", 2, 3).win("r3", "u3", 1).build(), 6);
    assertThrows(StoreFencedException.class, () -> store.fenceEvent("e1", 6));
    store.fenceEvent("e1", 7); // the same leader claiming again is fine
    assertEquals(2, store.loadLedger("e1").lastRank());
  }

  @Test
  void fencingAnUnknownEventFails() {
    assertThrows(EventNotFoundException.class, () -> store.fenceEvent("ghost", 1));
  }

  @Test
  void headHoldsWhatALeaderNeedsAndNothingThatGrows() {
    EventSpec spec = event("e1", 5, 5);
    store.createEvent("c", spec);
    assertEquals(EventHead.fresh(spec), store.loadHead("e1"));
    DecisionBatch b1 = batch("e1", 1, 1).win("r1", "u1", 2).lose("r2", "u2", 9, LossReason.INSUFFICIENT_STOCK)
        .win("r3", "u3", 1).build();
    DecisionBatch b2 = batch("e1", 2, 4).win("r4", "u4", 2).lose("r5", "u5", 1, LossReason.SOLD_OUT).build();
    persist(store, b1);
    persist(store, b2);

    EventHead head = store.loadHead("e1");
    assertEquals(0, head.remainingStock());
    assertEquals(5, head.lastRank());
    assertEquals(3, head.wins());
    assertEquals(1, head.lateDecisions(), "Sales marks rank 5 late");
    assertEquals(java.util.OptionalLong.of(b2.decisions().get(0).ticket().stampMicros()), head.soldOutMicros());
    assertEquals(b2.releasedThrough(), head.lastReleased());
    assertEquals("r4", head.lastReleased().orElseThrow().requestId(), "the last decision in order, r5 being late");
    assertThrows(EventNotFoundException.class, () -> store.loadHead("ghost"));
  }

  @Test
  void theLastReleasedTicketKeepsItsRegionNode() {
    store.createEvent("c", event("e1", 5, 5));
    DecisionBatch plain = batch("e1", 1, 1).win("r1", "u1", 1).build();
    var released = EventHead.Released.of(plain.decisions().get(0).ticket().withNode("beijing-2"));
    persist(store, new DecisionBatch("e1", 1, plain.decisions(), java.util.Optional.of(released)));
    assertEquals(java.util.Optional.of(released), store.loadHead("e1").lastReleased(),
        "a new leader must know which node's stream the last released ticket came from");
    assertEquals("beijing-2", store.loadHead("e1").lastReleased().orElseThrow().asTicket("e1").node());
  }

  /** An identity's event creations: its burst at once, then refused with the wait until the next; another identity unaffected. */
  @Test
  void anIdentitysCreationsAreTakenFromItsBurstThenRefusedWithAWait() {
    double perSecond = 1.0 / 60; // one a minute
    assertEquals(List.of(0L, 0L), List.of(store.takeEventCreation("token:ops", perSecond, 2),
        store.takeEventCreation("token:ops", perSecond, 2)));
    long waitMicros = store.takeEventCreation("token:ops", perSecond, 2);
    assertTrue(waitMicros > 50_000_000 && waitMicros <= 60_000_000, "about a minute: " + waitMicros);
    assertEquals(0L, store.takeEventCreation("mtls:spiffe://flashsale/admin/{other}", perSecond, 2));
  }

  @Test
  void aFinishedEventLeavesTheLiveListAndStaysReadable() {
    EventSpec a = event("a", 3, 1), b = event("b", 3, 1);
    store.createEvent("ca", a);
    store.createEvent("cb", b);
    persist(store, batch("a", 1, 1).win("r1", "u1", 1).build());
    assertTrue(store.isLive("a"));
    store.finishEvent("a");
    store.finishEvent("a");
    store.finishEvent("never-created");

    assertEquals(List.of(b), store.listLiveEvents());
    assertEquals(List.of(false, true, false), List.of(store.isLive("a"), store.isLive("b"), store.isLive("never-created")));
    assertEquals(Optional.of(a), store.findEvent("a"));
    assertEquals(1, store.listDecisions("a", 0, 10).size());
    assertEquals(2, store.loadHead("a").remainingStock());
  }

  @Test
  void longLedgersAndOutboxesAreReadAcrossPages() {
    int n = ArbiterStore.PAGE + 7;
    store.createEvent("c", event("e1", n, 1));
    Sales.Batch b = batch("e1", 1, 1);
    for (int i = 1; i <= n; i++) b.win("r" + i, "u" + i, 1);
    persist(store, b.build());

    assertEquals(b.build().decisions(), store.loadLedger("e1").decisions());
    assertEquals(b.build().decisions(), store.readOutbox("e1"));
  }
}
