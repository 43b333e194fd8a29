package flashsale.arbiter.events;

import flashsale.sale.EventSpec;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The events this arbiter sequences, readable from any thread (announcements, lookups). */
public final class EventRegistry {
  private final Map<String, EventSpec> byId = new ConcurrentHashMap<>();

  /** Adds the event; false if it was already known (an idempotent create retry). */
  boolean add(EventSpec spec) {
    return byId.putIfAbsent(spec.eventId(), spec) == null;
  }

  /** Forgets a finished event: it is served from the store from now on. */
  public void remove(String eventId) {
    byId.remove(eventId);
  }

  /** Forgets every event: a node that stops leading rebuilds them when it leads again. */
  public void clear() {
    byId.clear();
  }

  public Optional<EventSpec> find(String eventId) {
    return Optional.ofNullable(byId.get(eventId));
  }

  public Collection<EventSpec> all() {
    return List.copyOf(byId.values());
  }
}
