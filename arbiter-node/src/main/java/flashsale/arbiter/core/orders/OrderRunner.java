package flashsale.arbiter.core.orders;

import flashsale.arbiter.core.NotLeaderException;
import flashsale.loop.LoopScheduler;
import flashsale.loop.OffLoop;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderWrite;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Micros;
import flashsale.store.ArbiterStore;
import flashsale.store.OrderStore;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRejectedException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link OrderBook}s of the events this node leads on the sequencer's loop: loads each
 * from the store (and enrols the decisions stored after it), feeds it persisted batches, ticks and
 * the order API's calls, writes its changes under the term's fencing epoch (a failed write is
 * retried as is) and answers each call only once its write is stored. Loop-owned: every method
 * runs on the scheduler, and so do the store's completions.
 */
public final class OrderRunner {
  private static final Logger log = LoggerFactory.getLogger(OrderRunner.class);
  public static final long TICK_INTERVAL_MS = 10;
  static final long LOAD_RETRY_MS = 500;
  /** A book that keeps breaking is read again after a back-off doubling up to this. */
  static final long MAX_BROKEN_RETRY_MS = 30_000;

  /** What a book read from the store needs before it can run. */
  private record Loaded(OrderTerms terms, OrderSnapshot snapshot, List<Decision> after) {}

  private final OrderStore store;
  private final ArbiterStore events;
  private final InstantSource clock;
  private final LoopScheduler loop;
  /** Where a book's store reads run, off the loop. */
  private final OffLoop reads;
  private final Map<String, OrderBook> books = new HashMap<>();
  /** The spec of each event whose book runs here, to read the book again after a refused write. */
  private final Map<String, EventSpec> specs = new HashMap<>();
  /** Events whose book is being read: the batches persisted meanwhile, enrolled once it is in. */
  private final Map<String, List<Decision>> loading = new HashMap<>();
  /** A call answered once its write is stored. */
  private record Call(OrderAnswer answer, CompletableFuture<OrderAnswer> told) {}

  /** Per event, per write sequence: the calls answered once that write is stored. */
  private final Map<String, TreeMap<Long, List<Call>>> waiting = new HashMap<>();
  /** Events whose sale is over: told when their book settles, then the book is dropped. */
  private final Map<String, Runnable> whenSettled = new HashMap<>();
  /** Events whose book broke its checks this term, with how often (for the back-off). */
  private final Map<String, Integer> breaksThisTerm = new HashMap<>();
  /** Told each write once the store holds it (the regions' watchers). */
  private java.util.function.Consumer<OrderEffect.OrdersDurable> durableListener = durable -> {};
  private long epoch = ArbiterStore.UNFENCED;
  private long term;
  private boolean leading;

  /** @param reads where a book's store reads run, off the loop (their results come back through {@code loop}) */
  public OrderRunner(OrderStore store, ArbiterStore events, InstantSource clock, LoopScheduler loop, OffLoop reads) {
    this.store = store;
    this.events = events;
    this.clock = clock;
    this.loop = loop;
    this.reads = reads;
  }

  /** Told (on the loop) each time a write fails and is retried: the node counts it with its failed batches. */
  private Runnable writeFailed = () -> {};

  public void onWriteFailed(Runnable counted) {
    this.writeFailed = java.util.Objects.requireNonNull(counted, "counted");
  }

  /** Calls {@code listener} (on the loop) with each write once the store holds it, never before. */
  public void onDurable(java.util.function.Consumer<OrderEffect.OrdersDurable> listener) {
    this.durableListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  public LoopScheduler.Timer startTicking() {
    return loop.every(this::tick, TICK_INTERVAL_MS);
  }

  /** A term starts: books are loaded afresh as events are registered. */
  public void lead(long fencingEpoch) {
    dropAll();
    epoch = fencingEpoch;
    leading = true;
  }

  public void standBy() {
    dropAll();
    leading = false;
  }

  private void dropAll() {
    term++;
    books.clear();
    specs.clear();
    loading.clear();
    whenSettled.clear();
    breaksThisTerm.clear();
    for (String eventId : List.copyOf(waiting.keySet())) fail(eventId, "the term ended");
  }

  /** The calls waiting on the event's writes will not be answered here. */
  private void fail(String eventId, String why) {
    TreeMap<Long, List<Call>> bySequence = waiting.remove(eventId);
    if (bySequence == null) return;
    bySequence.values().forEach(calls -> calls.forEach(c -> c.told().completeExceptionally(
        new NotLeaderException(why + " before the change to " + eventId + " was stored"))));
  }

  /** The event is sequenced here: its book is read from the store (nothing to do without terms). */
  public void eventAdded(EventSpec spec) {
    String eventId = spec.eventId();
    if (!leading || books.containsKey(eventId) || loading.containsKey(eventId)) return;
    loading.put(eventId, new ArrayList<>());
    load(spec, term);
  }

  /**
   * Reads the book; until it is in, the event stays loading: batches persisted meanwhile wait for
   * it, and a sale that ends meanwhile settles only once the book has run its windows out.
   */
  private void load(EventSpec spec, long loadTerm) {
    String eventId = spec.eventId();
    CompletableFuture.supplyAsync(() -> read(eventId), reads).whenComplete((loaded, error) -> loop.execute(() -> {
      if (loadTerm != term || !loading.containsKey(eventId)) return; // another read of it came in first
      if (error != null) {
        log.error("order book not loaded event={}: {}; retrying", eventId, error.toString());
        loop.schedule(() -> {
          if (loadTerm == term) load(spec, loadTerm);
        }, LOAD_RETRY_MS);
        return;
      }
      if (loaded == null) { // no payment window: nothing to settle
        loading.remove(eventId);
        Runnable settled = whenSettled.remove(eventId);
        if (settled != null) settled.run();
        return;
      }
      specs.put(eventId, spec);
      guarded(eventId, () -> {
        OrderBook book = new OrderBook(eventId, spec.stock(), spec.perUserLimit(), loaded.terms(), loaded.snapshot());
        // Carried out once, after the book has heard everything: settled before it hears that the
        // sale ended while loading, it would be dropped with nobody to promote or close its waitlist.
        List<OrderEffect> effects = new ArrayList<>(book.decided(loaded.after(), nowMicros()));
        effects.addAll(book.decided(loading.get(eventId), nowMicros()));
        if (whenSettled.containsKey(eventId)) effects.addAll(book.saleEnded(nowMicros()));
        loading.remove(eventId);
        books.put(eventId, book);
        carryOut(book, effects);
        log.info("order book loaded event={} orders={} enrolledThroughRank={} enrolledLate={}", eventId,
            loaded.snapshot().orders().size(), loaded.snapshot().enrolledThroughRank(), loaded.after().size());
      });
    }));
  }

  /** Off the loop: the terms, the snapshot and the decisions stored after what it enrolled (a new leader's catch-up). */
  private Loaded read(String eventId) {
    var terms = store.findTerms(eventId);
    if (terms.isEmpty()) return null;
    OrderSnapshot snapshot = store.loadOrders(eventId);
    List<Decision> after = new ArrayList<>();
    while (true) {
      List<Decision> page = events.listDecisions(eventId, snapshot.enrolledThroughRank() + after.size(), ArbiterStore.PAGE);
      after.addAll(page);
      if (page.size() < ArbiterStore.PAGE) return new Loaded(terms.get(), snapshot, after);
    }
  }

  /** A batch the store holds (before its decisions are told). */
  public void decided(String eventId, List<Decision> decisions) {
    List<Decision> buffer = loading.get(eventId);
    if (buffer != null) {
      buffer.addAll(decisions);
      return;
    }
    OrderBook book = books.get(eventId);
    if (book != null) guarded(eventId, () -> carryOut(book, book.decided(decisions, nowMicros())));
  }

  /** The event's sale is over: released units may go to its waitlist; {@code settled} runs once nothing is left to do. */
  public void saleEnded(String eventId, Runnable settled) {
    OrderBook book = books.get(eventId);
    if (book == null && !loading.containsKey(eventId)) {
      settled.run();
      return;
    }
    whenSettled.put(eventId, settled);
    if (book != null) guarded(eventId, () -> carryOut(book, book.saleEnded(nowMicros())));
  }

  public void tick() {
    long now = nowMicros();
    for (OrderBook book : List.copyOf(books.values())) guarded(book.eventId(), () -> carryOut(book, book.tick(now)));
  }

  /**
   * Runs {@code work} on the event's book; a book that breaks its own invariant (a bug, or a store
   * holding what it should not) is dropped and read again from the store, alone: the other
   * events' books run on. Until it reads clean the event stays loading (calls are told to retry,
   * its sale's end waits, its batches are kept).
   */
  private void guarded(String eventId, Runnable work) {
    try {
      work.run();
    } catch (RuntimeException | AssertionError e) {
      if (!specs.containsKey(eventId)) { // it had settled (the throw came from after): nothing left to read
        log.error("order book of event={} threw after it settled: {}", eventId, e.toString(), e);
        return;
      }
      int breaks = breaksThisTerm.merge(eventId, 1, Integer::sum);
      long delayMs = Math.min(MAX_BROKEN_RETRY_MS, LOAD_RETRY_MS << Math.min(breaks - 1, 8));
      log.error("order book of event={} broke ({} times this term): {}; reading it again from the store in {} ms", eventId,
          breaks, e, delayMs, e);
      books.remove(eventId);
      fail(eventId, "the event's order book failed its checks");
      loading.putIfAbsent(eventId, new ArrayList<>());
      long brokenTerm = term;
      loop.schedule(() -> {
        if (brokenTerm == term && specs.containsKey(eventId)) load(specs.get(eventId), brokenTerm);
      }, delayMs);
    }
  }

  /** True when the event's book runs here. */
  public boolean holds(String eventId) {
    return books.containsKey(eventId);
  }

  /**
   * Whether a loser for lack of stock at {@code rank} without a stored order never gets one
   * ({@link OrderBook#durablyNotWaitlisted}); empty when the event's book does not run here.
   */
  public java.util.Optional<Boolean> durablyNotWaitlisted(String eventId, long rank) {
    OrderBook book = books.get(eventId);
    return book == null ? java.util.Optional.empty() : java.util.Optional.of(book.durablyNotWaitlisted(rank));
  }

  public java.util.Optional<flashsale.orders.OrderRecord> find(String eventId, String requestId) {
    OrderBook book = books.get(eventId);
    if (book == null) throw new NotLeaderException("no order book of " + eventId + " here");
    return book.find(requestId);
  }

  /**
   * Applies a confirm or cancel; the future completes once the answer is stored (exceptionally
   * with {@link NotLeaderException} when the term ends first or the book is not here).
   */
  public CompletableFuture<OrderAnswer> apply(String eventId, String requestId,
      BiFunction<OrderBook, List<OrderEffect>, OrderAnswer> call) {
    OrderBook book = books.get(eventId);
    if (book == null) return CompletableFuture.failedFuture(new NotLeaderException("no order book of " + eventId + " here"));
    List<OrderEffect> effects = new ArrayList<>();
    OrderAnswer answer;
    try {
      answer = call.apply(book, effects);
    } catch (RuntimeException | AssertionError e) {
      guarded(eventId, () -> {
        throw e;
      });
      return CompletableFuture.failedFuture(new NotLeaderException("the order book of " + eventId + " failed its checks"));
    }
    CompletableFuture<OrderAnswer> told = new CompletableFuture<>();
    if (answer.durableAtSequence() == 0) {
      told.complete(answer);
    } else {
      waiting.computeIfAbsent(eventId, e -> new TreeMap<>())
          .computeIfAbsent(answer.durableAtSequence(), s -> new ArrayList<>()).add(new Call(answer, told));
    }
    carryOut(book, effects);
    return told;
  }

  /** Events with a call waiting for its write to be stored (bounded by what is in flight, not by every event paid in). */
  int eventsWithCallsWaiting() {
    return waiting.size();
  }

  public long nowMicros() {
    return Micros.of(clock.instant());
  }

  private void carryOut(OrderBook book, List<OrderEffect> effects) {
    for (OrderEffect effect : effects) {
      switch (effect) {
        case OrderEffect.PersistOrders p -> persist(book, p.write(), term, 1);
        case OrderEffect.OrdersDurable d -> {
          answerThrough(d.eventId(), d.sequence());
          durableListener.accept(d);
        }
      }
    }
    Runnable settled = whenSettled.get(book.eventId());
    if (settled != null && book.settled()) {
      whenSettled.remove(book.eventId());
      books.remove(book.eventId());
      specs.remove(book.eventId());
      log.info("orders settled event={} paidUnits={} freeUnits={} waitlist={}", book.eventId(), book.paidUnits(),
          book.freeUnits(), book.waitlistLength());
      settled.run();
    }
  }

  private void answerThrough(String eventId, long sequence) {
    TreeMap<Long, List<Call>> bySequence = waiting.get(eventId);
    if (bySequence == null) return;
    var due = bySequence.headMap(sequence, true);
    due.values().forEach(calls -> calls.forEach(c -> c.told().complete(c.answer())));
    due.clear();
    if (bySequence.isEmpty()) waiting.remove(eventId); // else one empty map per event ever paid in, for the term
  }

  /** Nothing is answered before the store holds the write; a failed write is retried as is. */
  private void persist(OrderBook book, OrderWrite write, long writeTerm, int attempt) {
    store.persistOrders(write, epoch).whenComplete((ok, error) -> loop.execute(() -> {
      // A dropped book's writes end with it: answered or carried on, they would write its broken
      // state, or answer calls of the book read in its place by sequence number.
      if (writeTerm != term || books.get(write.eventId()) != book) return;
      Throwable cause = error == null ? null : error.getCause() != null ? error.getCause() : error;
      if (cause == null) {
        carryOut(book, book.persisted(write.sequence()));
      } else if (cause instanceof StoreFencedException || cause instanceof StoreRejectedException) {
        // Deposed, or the store disagrees with this book: drop it; the store's state is the truth,
        // and the book is read from it again (a deposed leader's term ends before that).
        log.error("order write refused event={} seq={}: {}; reading the book again from the store", write.eventId(),
            write.sequence(), cause.getMessage());
        books.remove(write.eventId());
        fail(write.eventId(), "the store refused a write");
        loading.put(write.eventId(), new ArrayList<>());
        loop.schedule(() -> {
          if (writeTerm == term) load(specs.get(write.eventId()), writeTerm);
        }, LOAD_RETRY_MS);
      } else {
        long delayMs = Math.min(1_000, 5L << Math.min(attempt, 8));
        writeFailed.run();
        log.warn("order write failed event={} seq={} attempt={}: {}; retrying in {} ms", write.eventId(),
            write.sequence(), attempt, cause.toString(), delayMs);
        loop.schedule(() -> {
          if (writeTerm == term && books.get(write.eventId()) == book) persist(book, write, writeTerm, attempt + 1);
        }, delayMs);
      }
    }));
  }
}
