package flashsale.store.memory;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import flashsale.sale.EventSpec;
import flashsale.store.OrderStore;
import flashsale.store.StoreRejectedException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The {@link OrderStore} of a single process, beside its {@link InMemoryArbiterStore} (whose fencing it shares). */
public final class InMemoryOrderStore implements OrderStore {
  private final InMemoryArbiterStore events;
  private final Map<String, OrderLedger> ledgers = new HashMap<>(); // guarded by this

  public InMemoryOrderStore(InMemoryArbiterStore events) {
    this.events = events;
  }

  @Override
  public synchronized void putTerms(String eventId, OrderTerms terms) {
    OrderLedger stored = ledgers.get(eventId);
    if (stored == null) {
      ledgers.put(eventId, new OrderLedger(terms));
    } else if (!stored.terms.equals(terms)) {
      throw new StoreRejectedException("event " + eventId + " already has terms " + stored.terms + ", not " + terms);
    }
  }

  /** Under this store's lock, which {@link #findTerms} takes too: whoever found the event finds its terms. */
  @Override
  public synchronized EventSpec createEventWithTerms(String requestId, EventSpec spec, OrderTerms terms) {
    OrderLedger stored = ledgers.get(spec.eventId());
    if (events.findEvent(spec.eventId()).isPresent()) {
      // Another request's event, or this request's with another spec, is refused as such; a retry
      // with other terms (or none stored) too. Nothing is written, as in the Redis store.
      EventSpec same = events.createEvent(requestId, spec);
      if (stored == null) throw new StoreRejectedException("event " + spec.eventId() + " was created without order terms");
      if (!stored.terms.equals(terms)) {
        throw new StoreRejectedException("event " + spec.eventId() + " was created with terms " + stored.terms + ", not " + terms);
      }
      return same;
    }
    if (stored != null && !stored.terms.equals(terms)) {
      throw new StoreRejectedException("event " + spec.eventId() + " already has terms " + stored.terms + ", not " + terms);
    }
    EventSpec created = events.createEvent(requestId, spec); // a refusal leaves the terms unwritten
    if (stored == null) ledgers.put(spec.eventId(), new OrderLedger(terms));
    return created;
  }

  @Override
  public synchronized Optional<OrderTerms> findTerms(String eventId) {
    return Optional.ofNullable(ledgers.get(eventId)).map(l -> l.terms);
  }

  @Override
  public CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch) {
    try {
      // The fence checked and the write made under one hold of this store, as Redis's script does
      // both at once: a load after a new leader's fence waits for a write checked before it, and
      // never misses it (the arbiter store's lock nests inside, as at create).
      synchronized (this) {
        EventSpec spec = events.writableSpec(write.eventId(), fencingEpoch);
        OrderLedger ledger = ledgers.get(write.eventId());
        if (ledger == null) throw new StoreRejectedException("event " + write.eventId() + " has no payment terms");
        ledger.apply(spec, write);
      }
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public synchronized OrderSnapshot loadOrders(String eventId) {
    OrderLedger ledger = ledgers.get(eventId);
    return ledger == null ? OrderSnapshot.empty(Optional.empty()) : ledger.snapshot();
  }

  @Override
  public synchronized long storedWaitlistJoins(String eventId) {
    OrderLedger ledger = ledgers.get(eventId);
    return ledger == null ? 0 : ledger.joined();
  }

  @Override
  public synchronized long storedEnrolledThroughRank(String eventId) {
    OrderLedger ledger = ledgers.get(eventId);
    return ledger == null ? 0 : ledger.enrolledThroughRank();
  }

  @Override
  public synchronized Optional<OrderRecord> findOrder(String eventId, String requestId) {
    return Optional.ofNullable(ledgers.get(eventId)).flatMap(l -> l.find(requestId));
  }

  @Override
  public synchronized List<OrderTransition> readTransitions(String eventId) {
    OrderLedger ledger = ledgers.get(eventId);
    return ledger == null ? List.of() : List.copyOf(ledger.outbox);
  }
}
