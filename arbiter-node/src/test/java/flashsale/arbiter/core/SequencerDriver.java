package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.store.StoreRefusedException;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Drives one {@link Sequencer} for unit tests with a fake clock (a plain long), a {@link
 * CheckedStore}, and a record of every effect. Batches are persisted only when a test says so.
 */
final class SequencerDriver {
  /** Production defaults but stamps taken as exact: the ordering rules alone, no near-tie band. */
  static final SequencerConfig EXACT_STAMPS = new SequencerConfig(1024, 5_000, 1_000_000, 2_000_000);


  static final String EVENT = "e1";

  final Sequencer sequencer;
  final CheckedStore store;
  final List<Effect> effects = new ArrayList<>();
  private final ArrayDeque<DecisionBatch> unpersisted = new ArrayDeque<>();
  long nowMicros = 1_000_000L;

  SequencerDriver(SequencerConfig config) {
    this(config, new CheckedStore());
  }

  /** A driver over an existing store: a new leader taking over. */
  SequencerDriver(SequencerConfig config, CheckedStore store) {
    this.sequencer = new Sequencer(config);
    this.store = store;
  }

  SequencerDriver() {
    this(SequencerDriver.EXACT_STAMPS);
  }

  static EventSpec spec(long stock, int perUserLimit, long tieBreakSeed, String... regions) {
    return new EventSpec(EVENT, "shoes", stock, 0, 1L << 50, perUserLimit, Arrays.asList(regions),
        SaleMode.GLOBAL_ORDER, tieBreakSeed);
  }

  static Ticket ticket(String requestId, String userId, int quantity, String region, long stampMicros) {
    return new Ticket(EVENT, requestId, userId, quantity, region, stampMicros);
  }

  /** A ticket for one unit whose user is named after its request id. */
  static Ticket ticket(String requestId, String region, long stampMicros) {
    return ticket(requestId, "user-" + requestId, 1, region, stampMicros);
  }

  List<Effect> add(EventSpec spec) {
    store.create(spec);
    return record(sequencer.eventAdded(EventHead.fresh(spec), nowMicros));
  }

  /** Adds an event whose first {@code waitlistBound} losers for lack of stock join a waitlist in rank order. */
  List<Effect> add(EventSpec spec, long waitlistBound) {
    store.create(spec);
    return record(sequencer.eventAddedWithWaitlist(EventHead.fresh(spec), waitlistBound, nowMicros));
  }

  /** Adds an event from the ledger the store holds now (a leader rebuilding after failover). */
  List<Effect> addFromStore(String eventId) {
    return record(sequencer.eventAdded(store.head(eventId), nowMicros));
  }

  /** As {@link #addFromStore}, for an event with a waitlist of {@code waitlistBound}. */
  List<Effect> addFromStore(String eventId, long waitlistBound) {
    return record(sequencer.eventAddedWithWaitlist(store.head(eventId), waitlistBound, nowMicros));
  }

  List<Effect> connect(String... regions) {
    List<Effect> out = new ArrayList<>();
    for (String region : regions) out.addAll(record(sequencer.regionConnected(region, nowMicros)));
    return out;
  }

  List<Effect> disconnect(String region) {
    return record(sequencer.regionDisconnected(region, nowMicros));
  }

  List<Effect> send(String region, Ticket... tickets) {
    return record(sequencer.ticketsReceived(region, List.of(tickets), nowMicros));
  }

  List<Effect> watermark(String region, long watermarkMicros) {
    return record(sequencer.watermarkReceived(region, watermarkMicros, nowMicros));
  }

  /** Every listed region sends the same watermark. */
  List<Effect> watermarks(long watermarkMicros, String... regions) {
    List<Effect> out = new ArrayList<>();
    for (String region : regions) out.addAll(watermark(region, watermarkMicros));
    return out;
  }

  /** The arbiter's timer fires {@code elapsedMicros} after the last input. */
  List<Effect> tick(long elapsedMicros) {
    nowMicros += elapsedMicros;
    return record(sequencer.tick(nowMicros));
  }

  List<Effect> clock(String region, long offsetMicros, long roundTripMicros) {
    return record(sequencer.clockReported(region, offsetMicros, roundTripMicros, nowMicros));
  }

  /** The store acknowledges the oldest batch not yet persisted, or refuses it as the real store would. */
  List<Effect> persistNext() {
    DecisionBatch batch = unpersisted.pollFirst();
    if (batch == null) throw new AssertionError("no batch waits for the store");
    try {
      store.apply(batch);
    } catch (StoreRefusedException refusal) {
      return record(sequencer.batchRefused(batch.eventId(), batch.sequence(), refusal.decided(), refusal.unitsHeld(),
          nowMicros));
    }
    return record(sequencer.batchPersisted(batch.eventId(), batch.sequence(), nowMicros));
  }

  /** The store holds the auction's result the sequencer asked it to write. */
  List<Effect> auctionClosePersisted() {
    List<Effect.PersistAuctionClose> asked = of(effects, Effect.PersistAuctionClose.class);
    store.closeAuction(asked.get(asked.size() - 1).close());
    return record(sequencer.auctionClosePersisted(EVENT, nowMicros));
  }

  /** Persists batches until none waits. */
  List<Effect> persistAll() {
    List<Effect> out = new ArrayList<>();
    while (!unpersisted.isEmpty()) out.addAll(persistNext());
    return out;
  }

  int unpersistedBatches() {
    return unpersisted.size();
  }

  /** Every decision told to {@code region} so far, in the order told. */
  List<Decision> toldTo(String region) {
    return of(effects, Effect.SendDecisions.class).stream()
        .filter(send -> send.region().equals(region))
        .flatMap(send -> send.decisions().stream())
        .toList();
  }

  /** Request ids in the store's rank order. */
  List<String> decidedOrder() {
    return store.decisions(EVENT).stream().map(Decision::requestId).toList();
  }

  EventStatus status() {
    return sequencer.eventStatus(EVENT).orElseThrow();
  }

  static <T extends Effect> List<T> of(List<Effect> effects, Class<T> type) {
    return effects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private List<Effect> record(List<Effect> out) {
    effects.addAll(out);
    of(out, Effect.PersistBatch.class).forEach(persist -> unpersisted.addLast(persist.batch()));
    return out;
  }
}
