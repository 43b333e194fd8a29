package flashsale.arbiter.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.core.Effect;
import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.core.SequencerConfig;
import flashsale.orders.OrderTerms;
import flashsale.sale.AuctionClose;
import flashsale.sale.AuctionRules;
import flashsale.sale.AuctionStanding;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.RequestIdReusedException;
import flashsale.store.StoreFencedException;
import flashsale.store.memory.InMemoryArbiterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The create-event use case on the contract-tested in-memory store and a real {@link Sequencer},
 * behind a loop that runs each task at once: what a caller and a region would notice (stored
 * before sequenced, announced once, a retry answered alike, a finished event not sold again).
 */
class EventCatalogTest {
  static final long NOW_MICROS = 1_800_000_000_000_000L;

  final InMemoryArbiterStore store = new InMemoryArbiterStore();
  final ImmediateLoop loop = new ImmediateLoop();
  final EventRegistry registry = new EventRegistry();
  final List<String> announced = new ArrayList<>();
  final EventCatalog catalog = new EventCatalog(store, EventPools.NONE, loop, registry, spec -> announced.add(spec.eventId()));

  @Test
  void anEventIsStoredThenSequencedThenAnnouncedOnceAndARetryGetsTheFirst() {
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    assertEquals(shoes, catalog.create("create-1", shoes, Optional.empty()).join());
    assertEquals(Optional.of(shoes), store.findEvent("shoes"), "stored");
    assertEquals(1, loop.sequencer.eventCount(), "sequenced");
    assertEquals(List.of("shoes"), announced);

    assertEquals(shoes, catalog.create("create-1", shoes, Optional.empty()).join());
    assertEquals(List.of("shoes"), announced, "a retry announces nothing new");
    assertEquals(1, loop.sequencer.eventCount());
  }

  /** Opens central pools in an in-memory pool store, and notes each event it opened and whether it was stored by then. */
  final class RecordingPools implements EventPools {
    final flashsale.store.memory.InMemoryPoolStore pools = new flashsale.store.memory.InMemoryPoolStore();
    final List<String> opened = new ArrayList<>();
    RuntimeException failure; // the store's failure, when set

    @Override
    public Optional<String> unopenable(EventSpec spec) {
      return Optional.empty();
    }

    @Override
    public CompletableFuture<Void> open(EventSpec spec) {
      opened.add(spec.eventId() + (store.findEvent(spec.eventId()).isPresent() ? " after it was stored" : ""));
      return failure != null ? CompletableFuture.failedFuture(failure) : pools.openCentral(spec);
    }
  }

  @Test
  void aCentralEventsPoolIsOpenedOnceAfterTheEventIsStoredAndBeforeAnyRegionHearsOfIt() {
    RecordingPools pools = new RecordingPools();
    EventCatalog withPools = new EventCatalog(store, pools, loop, registry, spec -> {
      assertTrue(store.poolsOpened(spec.eventId()), "announced only once its pools are open");
      announced.add(spec.eventId());
    });
    EventSpec drop = central("drop", 10);
    EventSpec stored = withPools.create("create-1", drop, Optional.empty()).join();
    assertTrue(stored.poolsOpenedAtCreation(), "regions learn the pool exists since creation");
    assertEquals(Optional.of(stored), store.findEvent("drop"));
    assertEquals(List.of("drop after it was stored"), pools.opened);
    assertEquals(10, pools.pools.centralCounters(stored).join().remainingUnits());
    assertEquals(List.of("drop"), announced);

    // Once the store says the pools are open, nobody opens them again: a retry, a create under
    // another request id (refused), a new leader's recovery.
    assertEquals(stored, withPools.create("create-1", drop, Optional.empty()).join());
    assertThrows(flashsale.store.EventExistsException.class, () -> withPools.create("create-2", drop, Optional.empty()));
    EventCatalog nextLeader = new EventCatalog(store, pools, new ImmediateLoop(), new EventRegistry(), spec -> {});
    nextLeader.registerOrLeaveUnopened(stored).join();
    assertEquals(List.of("drop after it was stored"), pools.opened);
  }

  @Test
  void aPoolThatCannotBeOpenedKeepsTheEventOffSaleUntilARetryOrALookUpOpensIt() {
    RecordingPools pools = new RecordingPools();
    pools.failure = new IllegalStateException("pool store redis://10.0.0.9:6379 not reached yet: connection refused");
    EventCatalog withPools = new EventCatalog(store, pools, loop, registry, spec -> announced.add(spec.eventId()));
    var refused = assertThrows(CompletionException.class,
        () -> withPools.create("create-1", central("drop", 10), Optional.empty()).join());
    var notOpened = assertInstanceOf(EventCatalog.PoolsNotOpenedException.class, refused.getCause());
    assertFalse(notOpened.unopenable());
    assertTrue(notOpened.getMessage().contains("connection refused"), notOpened.getMessage());
    assertTrue(store.findEvent("drop").isPresent(), "stored");
    assertFalse(store.poolsOpened("drop"));
    assertEquals(List.of(), announced, "not on sale");
    assertThrows(CompletionException.class, () -> withPools.findOrLoad("drop"), "a region's look-up finds nothing to sell");
    // A recovering leader leaves it out rather than failing its whole recovery.
    new EventCatalog(store, pools, loop, new EventRegistry(), spec -> announced.add(spec.eventId()))
        .registerOrLeaveUnopened(store.findEvent("drop").orElseThrow()).join();
    assertEquals(List.of(), announced);

    // Within a second of a failure, look-ups are answered without trying again (a hanging store
    // would hold each one for its timeout).
    int tries = pools.opened.size();
    assertThrows(CompletionException.class, () -> withPools.findOrLoad("drop"));
    assertEquals(tries, pools.opened.size(), "not tried again yet");

    pools.failure = null;
    loop.nowMicros += EventCatalog.RETRY_OPENING_AFTER_MICROS;
    assertTrue(withPools.findOrLoad("drop").orElseThrow().poolsOpenedAtCreation(), "the next look-up opens it");
    assertTrue(store.poolsOpened("drop"));
    assertEquals(List.of("drop"), announced);
    assertTrue(withPools.create("create-1", central("drop", 10), Optional.empty()).join().poolsOpenedAtCreation());
  }

  @Test
  void anArbiterWithoutPoolStoresRefusesCentralEventsAndStoresNothing() {
    var refused = assertThrows(EventCatalog.PoolsNotOpenedException.class,
        () -> catalog.create("create-1", central("drop", 10), Optional.empty()));
    assertTrue(refused.unopenable());
    assertEquals(Optional.empty(), store.findEvent("drop"));
    // A GLOBAL_ORDER event has no pools to open.
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    assertFalse(catalog.create("create-2", shoes, Optional.empty()).join().poolsOpenedAtCreation());
  }

  private static EventSpec central(String id, int stock) {
    long endMicros = NOW_MICROS + 60_000_000;
    return new EventSpec(id, id, stock, endMicros - 120_000_000, endMicros, 1, List.of("east", "west"),
        SaleMode.CENTRAL, 7);
  }

  @Test
  void aReusedRequestIdWithOtherContentIsRefusedAndChangesNothing() {
    catalog.create("create-1", event("shoes", 10, NOW_MICROS + 60_000_000), Optional.empty()).join();
    assertThrows(RequestIdReusedException.class,
        () -> catalog.create("create-1", event("shoes", 99, NOW_MICROS + 60_000_000), Optional.empty()));
    assertEquals(10, store.findEvent("shoes").orElseThrow().stock());
    assertEquals(List.of("shoes"), announced);
  }

  @Test
  void aPaymentWindowWithoutAnOrderStoreIsRefusedBeforeAnythingIsStored() {
    assertThrows(EventCatalog.OrdersNotKeptException.class, () -> catalog.create("create-1",
        event("shoes", 10, NOW_MICROS + 60_000_000), Optional.of(new OrderTerms(300_000, 2))));
    assertEquals(Optional.empty(), store.findEvent("shoes"));
    assertEquals(0, loop.sequencer.eventCount());
  }

  @Test
  void anEventIsSequencedWithItsStoredWaitlistBoundSoItsLosersAreRankedInOrder() {
    var orders = new flashsale.store.memory.InMemoryOrderStore(store);
    catalog.keepOrdersIn(orders);
    catalog.create("create-1", event("shoes", 10, NOW_MICROS + 60_000_000), Optional.of(new OrderTerms(300_000, 7)))
        .join();
    catalog.create("create-2", event("hats", 10, NOW_MICROS + 60_000_000), Optional.empty()).join();
    assertEquals(Map.of("shoes", 7L, "hats", 0L), loop.waitlistBounds);

    // A new leader reads the bound back with the head.
    EventSpec socks = event("socks", 10, NOW_MICROS + 60_000_000);
    orders.createEventWithTerms("by-the-last-leader", socks, new OrderTerms(300_000, 3));
    catalog.register(socks).join();
    assertEquals(3L, loop.waitlistBounds.get("socks"));
  }

  @Test
  void aLookUpRightAfterTheCreatesWriteSequencesTheEventWithItsWaitlistBound() {
    // A region's look-up lands as soon as the event is stored, before the create registers it:
    // whichever store call writes the event, the look-up runs right after it.
    EventCatalog[] lookingUp = new EventCatalog[1];
    var events = new flashsale.store.testing.ForwardingArbiterStore(store) {
      @Override
      public EventSpec createEvent(String requestId, EventSpec spec) {
        EventSpec stored = super.createEvent(requestId, spec);
        lookingUp[0].findOrLoad(spec.eventId());
        return stored;
      }
    };
    var orders = new flashsale.store.testing.ForwardingOrderStore(new flashsale.store.memory.InMemoryOrderStore(store)) {
      @Override
      public EventSpec createEventWithTerms(String requestId, EventSpec spec, OrderTerms terms) {
        EventSpec stored = super.createEventWithTerms(requestId, spec, terms);
        lookingUp[0].findOrLoad(spec.eventId());
        return stored;
      }
    };
    EventCatalog creating = new EventCatalog(events, EventPools.NONE, loop, registry, spec -> announced.add(spec.eventId()));
    creating.keepOrdersIn(orders);
    lookingUp[0] = new EventCatalog(store, EventPools.NONE, loop, registry, spec -> announced.add(spec.eventId()));
    lookingUp[0].keepOrdersIn(orders);
    creating.create("create-1", event("shoes", 10, NOW_MICROS + 60_000_000), Optional.of(new OrderTerms(300_000, 7)))
        .join();
    assertEquals(7L, loop.waitlistBounds.get("shoes"), "sequenced by the look-up, with the bound stored beside it");
  }

  @Test
  void aRetryWithoutTheTermsTheFirstCreateStoredIsRefused() {
    catalog.keepOrdersIn(new flashsale.store.memory.InMemoryOrderStore(store));
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    catalog.create("create-1", shoes, Optional.of(new OrderTerms(300_000, 7))).join();
    assertThrows(flashsale.store.StoreRejectedException.class, () -> catalog.create("create-1", shoes, Optional.empty()));
    assertEquals(shoes, catalog.create("create-1", shoes, Optional.of(new OrderTerms(300_000, 7))).join(), "an identical retry");
  }

  @Test
  void anEventStoredElsewhereIsLoadedOnLookUpAndAnUnknownOneStaysUnknown() {
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    store.createEvent("by-the-last-leader", shoes); // stored, never sequenced here
    assertEquals(Optional.empty(), catalog.find("shoes"));

    assertEquals(Optional.of(shoes), catalog.findOrLoad("shoes"));
    assertEquals(Optional.of(shoes), catalog.find("shoes"));
    assertEquals(1, loop.sequencer.eventCount());
    assertEquals(List.of("shoes"), announced);

    assertEquals(Optional.empty(), catalog.findOrLoad("hats"));
    assertEquals(Optional.empty(), store.findEvent("hats"));
  }

  @Test
  void aFinishedEventFoundLiveIsNotSoldAgainAndLeavesTheLiveIndex() {
    EventSpec past = event("past", 10, NOW_MICROS - 3_600_000_000L);
    store.createEvent("create-past", past);
    catalog.register(past).join();

    assertEquals(0, loop.sequencer.eventCount(), "not sequenced again");
    assertEquals(List.of(), announced, "no region is told to sell it");
    assertEquals(Optional.empty(), catalog.find("past"));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (store.listLiveEvents().contains(past)) { // finishEvent runs off the loop thread
      assertTrue(System.nanoTime() < deadline, "still indexed live");
      Thread.onSpinWait();
    }
    assertFalse(store.listLiveEvents().contains(past));
    assertEquals(1, loop.finishedAdded, "its orders were run out once");

    // Looked up once finished (a buyer's GetEvent, a region's LookupEvent): served as stored, not
    // claimed, loaded and finished again (which would restart its records' retention each time).
    for (int i = 0; i < 3; i++) assertEquals(Optional.of(past), catalog.findOrLoad("past"));
    assertEquals(1, loop.finishedAdded, "finished once");
    assertEquals(0, loop.sequencer.eventCount());
  }

  @Test
  void anAuctionPastItsEndWhoseCloseIsNotStoredIsSequencedUntilItsResultIsStoredAndAnnounced() {
    // The last leader stored an accepted bid, then died before the frontier passed the close; this
    // leader comes in 20 s after the end, past the finish grace.
    long endMicros = NOW_MICROS - 20_000_000;
    EventSpec painting = EventSpec.auction("painting", "painting", AuctionRules.hardClose(1, 100, 10, "EUR"),
        endMicros - 120_000_000, endMicros, List.of("east", "west"), 7);
    store.createEvent("create-painting", painting);
    Ticket bid = Ticket.bid("painting", "b1", "alice", 150, "east", endMicros - 1_000_000, 0);
    store.persistBatch(new DecisionBatch("painting", 1,
        List.of(Decision.ofBid(bid, new BidVerdict(BidAnswer.ACCEPTED, 0, endMicros), 1, endMicros - 900_000, false)),
        Optional.of(EventHead.Released.of(bid)), Optional.of(new AuctionStanding(endMicros, List.of(bid), false)))).join();

    catalog.register(painting).join();

    assertEquals(1, loop.sequencer.eventCount(), "sequenced: no result is stored yet");
    assertEquals(Optional.of(painting), catalog.find("painting"));
    assertEquals(List.of("painting"), announced);
    assertTrue(store.listLiveEvents().contains(painting), "still indexed live");
    assertEquals(Optional.empty(), store.findAuctionClose("painting"));

    // The regions reconnect and promise past the close: the close gate closes the auction.
    Sequencer sequencer = loop.sequencer;
    List<Effect> effects = new ArrayList<>();
    for (String region : List.of("east", "west")) {
      effects.addAll(sequencer.regionConnected(region, NOW_MICROS));
      effects.addAll(sequencer.watermarkReceived(region, NOW_MICROS, NOW_MICROS));
    }
    List<AuctionClose> closes = effects.stream().filter(e -> e instanceof Effect.PersistAuctionClose)
        .map(e -> ((Effect.PersistAuctionClose) e).close()).toList();
    assertEquals(List.of(new AuctionClose("painting", endMicros, List.of(bid))), closes, "alice wins");
    store.persistAuctionClose(closes.get(0), flashsale.store.ArbiterStore.UNFENCED).join();
    List<Effect> announcedClose = sequencer.auctionClosePersisted("painting", NOW_MICROS);
    assertTrue(announcedClose.contains(new Effect.AnnounceAuctionClose(closes.get(0))), "the result is announced");
    assertEquals(Optional.of(closes.get(0)), store.findAuctionClose("painting"));
    assertTrue(store.loadHead("painting").auction().orElseThrow().closed());

    // Closed now, it may finish like any other event.
    assertTrue(sequencer.tick(NOW_MICROS + 1).contains(new Effect.EventFinished("painting")));
  }

  private static EventSpec event(String id, int stock, long endMicros) {
    return new EventSpec(id, id, stock, endMicros - 120_000_000, endMicros, 1, List.of("east", "west"),
        SaleMode.GLOBAL_ORDER, 7, Map.of(), Map.of());
  }

  @Test
  void aHeadReadBeforeALeadershipChangeDoesNotSeedTheNextTerm() {
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    store.createEvent("by-another-leader", shoes);
    // A new term (a new sequencer) begins while the look-up reads the event's head from the store.
    boolean[] switchOnce = {true};
    var switching = new flashsale.store.testing.ForwardingArbiterStore(store) {
      @Override
      public EventHead loadHead(String eventId) {
        EventHead head = super.loadHead(eventId);
        if (switchOnce[0]) loop.sequencer = new Sequencer(SequencerConfig.defaults());
        switchOnce[0] = false;
        return head;
      }
    };
    EventCatalog lookingUp = new EventCatalog(switching, EventPools.NONE, loop, registry, spec -> announced.add(spec.eventId()));
    assertEquals(Optional.of(shoes), lookingUp.findOrLoad("shoes"), "the caller still learns of the event");
    assertEquals(0, loop.sequencer.eventCount(), "the new term does not sequence a head read in the old one");
    assertEquals(Optional.empty(), lookingUp.find("shoes"));
    assertEquals(List.of(), announced);

    assertEquals(Optional.of(shoes), lookingUp.findOrLoad("shoes"), "read again within the term");
    assertEquals(1, loop.sequencer.eventCount());
    assertEquals(List.of("shoes"), announced);
  }

  @Test
  void aLookUpClaimsTheEventSoTheDeposedLeaderThatCreatedItCanNoLongerDecideIt() {
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    store.createEvent("by-a-deposed-leader", shoes); // during the takeover: in no live list this term read
    loop.fencingEpoch = 7;
    assertEquals(Optional.of(shoes), catalog.findOrLoad("shoes"));
    assertEquals(1, loop.sequencer.eventCount());

    // The deposed leader (epoch 6) does not know yet and writes the first ranks it decided.
    var stale = new DecisionBatch("shoes", 1, List.of(new Decision(
        new Ticket("shoes", "r1", "u1", 1, "east", NOW_MICROS), Outcome.WON, LossReason.NONE, 1, NOW_MICROS, false)));
    var refused = assertThrows(CompletionException.class, () -> store.persistBatch(stale, 6).join());
    assertInstanceOf(StoreFencedException.class, refused.getCause(), "the store holds the event for epoch 7");
    assertEquals(10, store.loadHead("shoes").remainingStock(), "nothing the deposed leader decided was stored");
    assertEquals(List.of(), loop.fencedTerms, "this term goes on");
  }

  @Test
  void aLookUpOfAnEventANewerLeaderClaimedEndsThisTermAndSequencesNothing() {
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    store.createEvent("by-the-next-leader", shoes);
    store.fenceEvent("shoes", 9); // a leader of epoch 9 already holds it: this node's term (7) is over
    loop.fencingEpoch = 7;

    var failed = assertThrows(CompletionException.class, () -> catalog.findOrLoad("shoes"));
    assertInstanceOf(StoreFencedException.class, failed.getCause());
    assertEquals(List.of(7L), loop.fencedTerms, "the term ends as after a fenced batch");
    assertEquals(0, loop.sequencer.eventCount());
    assertEquals(List.of(), announced);
  }

  @Test
  void aLoneArbiterClaimsNothing() {
    EventSpec shoes = event("shoes", 10, NOW_MICROS + 60_000_000);
    store.createEvent("create-1", shoes);
    catalog.findOrLoad("shoes"); // UNFENCED: the only writer, no lease
    var batch = new DecisionBatch("shoes", 1, List.of(new Decision(
        new Ticket("shoes", "r1", "u1", 1, "east", NOW_MICROS), Outcome.WON, LossReason.NONE, 1, NOW_MICROS, false)));
    store.persistBatch(batch).join();
    assertEquals(9, store.loadHead("shoes").remainingStock());
  }

  /** The loop, with every task run at once on the caller's thread, at a fixed time. */
  static final class ImmediateLoop implements EventSequencing {
    /** The current term's sequencer; a test may start a new term by replacing it. */
    volatile Sequencer sequencer = new Sequencer(SequencerConfig.defaults());

    @Override
    public <T> CompletableFuture<T> query(Function<Sequencer, T> query) {
      return CompletableFuture.completedFuture(query.apply(sequencer));
    }

    /** The epoch the current term's store writes carry; UNFENCED unless a test gives the term a lease. */
    volatile long fencingEpoch = flashsale.store.ArbiterStore.UNFENCED;
    final List<Long> fencedTerms = new ArrayList<>();

    @Override
    public CompletableFuture<Term> term() {
      return CompletableFuture.completedFuture(new Term(sequencer, fencingEpoch));
    }

    @Override
    public void fenced(long epoch) {
      fencedTerms.add(epoch);
    }

    long nowMicros = NOW_MICROS;

    @Override
    public long nowMicros() {
      return nowMicros;
    }

    /** The waitlist bound each event was sequenced with, by event id. */
    final Map<String, Long> waitlistBounds = new java.util.HashMap<>();
    /** Finished events handed over to run out their orders. */
    int finishedAdded;

    @Override
    public void addEvent(EventHead head, EventSpec spec, long waitlistBound) {
      waitlistBounds.put(spec.eventId(), waitlistBound);
      sequencer.eventAddedWithWaitlist(head, waitlistBound, NOW_MICROS);
    }

    @Override
    public void finishedEventAdded(EventSpec spec, Runnable settled) {
      finishedAdded++;
      settled.run(); // no order book: nothing to run out
    }
  }
}
