package flashsale.store.testing;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import flashsale.sale.EventSpec;
import flashsale.store.OrderStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An {@link OrderStore} that hands every call to a real one: tests override the calls they put
 * something in front of or behind, and keep the store's own rules.
 */
public abstract class ForwardingOrderStore implements OrderStore {
  protected final OrderStore delegate;

  protected ForwardingOrderStore(OrderStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public void putTerms(String eventId, OrderTerms terms) {
    delegate.putTerms(eventId, terms);
  }

  @Override
  public EventSpec createEventWithTerms(String requestId, EventSpec spec, OrderTerms terms) {
    return delegate.createEventWithTerms(requestId, spec, terms);
  }

  @Override
  public Optional<OrderTerms> findTerms(String eventId) {
    return delegate.findTerms(eventId);
  }

  @Override
  public long storedWaitlistJoins(String eventId) {
    return delegate.storedWaitlistJoins(eventId);
  }

  @Override
  public long storedEnrolledThroughRank(String eventId) {
    return delegate.storedEnrolledThroughRank(eventId);
  }

  @Override
  public CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch) {
    return delegate.persistOrders(write, fencingEpoch);
  }

  @Override
  public OrderSnapshot loadOrders(String eventId) {
    return delegate.loadOrders(eventId);
  }

  @Override
  public Optional<OrderRecord> findOrder(String eventId, String requestId) {
    return delegate.findOrder(eventId, requestId);
  }

  @Override
  public List<OrderTransition> readTransitions(String eventId) {
    return delegate.readTransitions(eventId);
  }
}
