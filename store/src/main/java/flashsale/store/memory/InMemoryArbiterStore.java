package flashsale.store.memory;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.Partition;
import flashsale.store.ArbiterStore;
import flashsale.store.RegionNodeRecord;
import flashsale.store.EventExistsException;
import flashsale.store.EventNotFoundException;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRefusedException;
import flashsale.store.StoreRejectedException;
import flashsale.store.RequestIdReusedException;
import flashsale.store.StoreRules;
import java.util.function.Predicate;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ArbiterStore} of a single process: state lives in this object only and dies with
 * it. One lock guards everything, which makes every call atomic, including each batch.
 */
public final class InMemoryArbiterStore implements ArbiterStore {
  private static final Logger log = LoggerFactory.getLogger(InMemoryArbiterStore.class);

  private final Object lock = new Object();
  private final Map<String, StoredEvent> events = new HashMap<>(); // guarded by lock
  /** Create request id to the event it created. */
  private final Map<String, String> createRequests = new HashMap<>(); // guarded by lock
  private final java.util.Set<String> poolsOpened = new java.util.HashSet<>(); // event ids, guarded by lock
  /** Recorded region nodes, keyed by partition index and node. Guarded by lock. */
  private final Map<String, RegionNodeRecord> regionNodes = new LinkedHashMap<>();
  /** This store's one writer: every leader shares the process, and their epochs tell them apart. */
  private static final String WRITER = "memory";

  @Override
  public EventSpec createEvent(String requestId, EventSpec spec) {
    StoreRules.requireStorable(spec);
    synchronized (lock) {
      String created = createRequests.get(requestId);
      if (created != null && !created.equals(spec.eventId())) {
        throw new RequestIdReusedException(created, "request id " + requestId + " created event " + created
            + ", not " + spec.eventId());
      }
      StoredEvent existing = events.get(spec.eventId());
      if (existing == null) {
        createRequests.put(requestId, spec.eventId());
        events.put(spec.eventId(), new StoredEvent(requestId, spec));
        log.info("event created event={} stock={} request={}", spec.eventId(), spec.stock(), requestId);
        return spec;
      }
      if (!existing.createRequestId.equals(requestId)) {
        throw new EventExistsException(
            "event " + spec.eventId() + " was created by request id " + existing.createRequestId);
      }
      return StoreRules.sameRequestOrRefuse(requestId, existing.spec, spec);
    }
  }

  @Override
  public Optional<EventSpec> findEvent(String eventId) {
    synchronized (lock) {
      return Optional.ofNullable(events.get(eventId)).map(e -> e.spec);
    }
  }

  @Override
  public boolean poolsOpened(String eventId) {
    synchronized (lock) {
      return poolsOpened.contains(eventId);
    }
  }

  @Override
  public void markPoolsOpened(String eventId) {
    synchronized (lock) {
      if (!events.containsKey(eventId)) throw new IllegalStateException("no event " + eventId + " to mark its pools opened");
      poolsOpened.add(eventId);
    }
  }

  @Override
  public List<EventSpec> listLiveEvents(Predicate<String> eventIds) {
    synchronized (lock) {
      return events.values().stream().filter(e -> e.live && eventIds.test(e.spec.eventId())).map(e -> e.spec).toList();
    }
  }

  /** Per identity: tokens and the time, in microseconds, they were counted at. */
  private final Map<String, double[]> creationBuckets = new java.util.HashMap<>();

  @Override
  public long takeEventCreation(String identity, double perSecond, int burst) {
    if (!(perSecond > 0) || burst < 1) throw new IllegalArgumentException("a quota needs a rate and a burst of 1 or more");
    long nowMicros = java.util.concurrent.TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
    synchronized (lock) {
      // Buckets full again are as good as none: dropped, so the map holds only identities seen lately.
      if (creationBuckets.size() >= 10_000) {
        creationBuckets.values().removeIf(b -> b[0] + (nowMicros - b[1]) * perSecond / 1_000_000 >= burst);
      }
      double[] bucket = creationBuckets.computeIfAbsent(identity, id -> new double[] {burst, nowMicros});
      double tokens = Math.min(burst, bucket[0] + Math.max(0, nowMicros - bucket[1]) * perSecond / 1_000_000);
      bucket[1] = Math.max(bucket[1], nowMicros);
      if (tokens >= 1) {
        bucket[0] = tokens - 1;
        return 0;
      }
      bucket[0] = tokens;
      return (long) Math.ceil((1 - tokens) * 1_000_000 / perSecond);
    }
  }

  @Override
  public boolean isLive(String eventId) {
    synchronized (lock) {
      StoredEvent event = events.get(eventId);
      return event != null && event.live;
    }
  }

  @Override
  public void finishEvent(String eventId) {
    synchronized (lock) {
      StoredEvent event = events.get(eventId);
      if (event != null) event.live = false;
    }
  }

  @Override
  public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
    try {
      synchronized (lock) {
        require(batch.eventId()).apply(batch, fencingEpoch);
      }
      return CompletableFuture.completedFuture(null);
    } catch (StoreRejectedException | StoreRefusedException | StoreFencedException | EventNotFoundException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Void> persistAuctionClose(flashsale.sale.AuctionClose close, long fencingEpoch) {
    try {
      synchronized (lock) {
        require(close.eventId()).close(close, fencingEpoch);
      }
      return CompletableFuture.completedFuture(null);
    } catch (StoreRejectedException | StoreFencedException | EventNotFoundException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public Optional<flashsale.sale.AuctionClose> findAuctionClose(String eventId) {
    synchronized (lock) {
      StoredEvent event = events.get(eventId);
      return event == null ? Optional.empty() : event.auctionClose();
    }
  }

  @Override
  public void fenceEvent(String eventId, long fencingEpoch) {
    synchronized (lock) {
      require(eventId).fence(fencingEpoch);
    }
  }

  @Override
  public EventHead loadHead(String eventId) {
    synchronized (lock) {
      return require(eventId).head();
    }
  }

  @Override
  public CompletableFuture<Void> recordRegionNode(Partition partition, String source, long fencingEpoch) {
    synchronized (lock) {
      String key = partition.index() + " " + source;
      RegionNodeRecord held = regionNodes.get(key);
      if (held == null || held.replaceableBy(fencingEpoch)) {
        regionNodes.put(key, new RegionNodeRecord(partition.index(), source, fencingEpoch, partition.count(), WRITER));
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> forgetRegionNode(Partition partition, String source, long fencingEpoch) {
    synchronized (lock) {
      regionNodes.values().removeIf(r -> r.source().equals(source) && r.forgottenBy(partition, fencingEpoch, WRITER));
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<String> regionNodes(Partition partition) {
    synchronized (lock) {
      return regionNodes.values().stream().filter(r -> r.waitedForBy(partition)).map(RegionNodeRecord::source)
          .distinct().toList();
    }
  }

  @Override
  public Optional<Decision> findDecision(String eventId, String requestId) {
    synchronized (lock) {
      StoredEvent event = events.get(eventId);
      return event == null ? Optional.empty() : Optional.ofNullable(event.decision(requestId));
    }
  }

  @Override
  public List<Decision> listDecisions(String eventId, long afterRank, int limit) {
    if (afterRank < 0) throw new IllegalArgumentException("afterRank < 0: " + afterRank);
    if (limit <= 0) return List.of();
    synchronized (lock) {
      StoredEvent event = events.get(eventId);
      return event == null ? List.of() : event.decisionsAfter(afterRank, limit);
    }
  }

  @Override
  public List<Decision> readOutbox(String eventId) {
    synchronized (lock) {
      StoredEvent event = events.get(eventId);
      return event == null ? List.of() : event.outbox();
    }
  }

  /** Nothing to release: the state is plain heap objects. */
  @Override
  public void close() {}

  /** The event's spec, once {@code fencingEpoch} may still write it: the order store shares the event's fencing. */
  EventSpec writableSpec(String eventId, long fencingEpoch) {
    synchronized (lock) {
      StoredEvent event = require(eventId);
      event.requireCurrent(fencingEpoch);
      return event.spec;
    }
  }

  private StoredEvent require(String eventId) {
    StoredEvent event = events.get(eventId);
    if (event == null) throw new EventNotFoundException("event " + eventId + " does not exist");
    return event;
  }
}
