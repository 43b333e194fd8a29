package flashsale.store.testing;

import flashsale.sale.Partition;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import java.util.function.Predicate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An {@link ArbiterStore} that hands every call to a real one: tests override the calls they put
 * a fault or a delay in front of (a held write, a lost reply) and keep the store's own rules.
 */
public abstract class ForwardingArbiterStore implements ArbiterStore {
  protected final ArbiterStore delegate;

  protected ForwardingArbiterStore(ArbiterStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
    return delegate.persistBatch(batch, fencingEpoch);
  }

  @Override
  public CompletableFuture<Void> persistAuctionClose(flashsale.sale.AuctionClose close, long fencingEpoch) {
    return delegate.persistAuctionClose(close, fencingEpoch);
  }

  @Override
  public java.util.Optional<flashsale.sale.AuctionClose> findAuctionClose(String eventId) {
    return delegate.findAuctionClose(eventId);
  }

  @Override
  public CompletableFuture<Void> recordRegionNode(Partition partition, String source, long fencingEpoch) {
    return delegate.recordRegionNode(partition, source, fencingEpoch);
  }

  @Override
  public CompletableFuture<Void> forgetRegionNode(Partition partition, String source, long fencingEpoch) {
    return delegate.forgetRegionNode(partition, source, fencingEpoch);
  }

  @Override
  public List<String> regionNodes(Partition partition) {
    return delegate.regionNodes(partition);
  }

  @Override
  public EventSpec createEvent(String requestId, EventSpec spec) {
    return delegate.createEvent(requestId, spec);
  }

  @Override
  public Optional<EventSpec> findEvent(String eventId) {
    return delegate.findEvent(eventId);
  }

  @Override
  public boolean poolsOpened(String eventId) {
    return delegate.poolsOpened(eventId);
  }

  @Override
  public void markPoolsOpened(String eventId) {
    delegate.markPoolsOpened(eventId);
  }

  @Override
  public List<EventSpec> listLiveEvents(Predicate<String> eventIds) {
    return delegate.listLiveEvents(eventIds);
  }

  @Override
  public void finishEvent(String eventId) {
    delegate.finishEvent(eventId);
  }

  @Override
  public long takeEventCreation(String identity, double perSecond, int burst) {
    return delegate.takeEventCreation(identity, perSecond, burst);
  }

  @Override
  public boolean isLive(String eventId) {
    return delegate.isLive(eventId);
  }

  @Override
  public void fenceEvent(String eventId, long fencingEpoch) {
    delegate.fenceEvent(eventId, fencingEpoch);
  }

  @Override
  public EventHead loadHead(String eventId) {
    return delegate.loadHead(eventId);
  }

  @Override
  public Optional<Decision> findDecision(String eventId, String requestId) {
    return delegate.findDecision(eventId, requestId);
  }

  @Override
  public List<Decision> listDecisions(String eventId, long afterRank, int limit) {
    return delegate.listDecisions(eventId, afterRank, limit);
  }

  @Override
  public List<Decision> readOutbox(String eventId) {
    return delegate.readOutbox(eventId);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
