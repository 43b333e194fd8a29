package flashsale.store.modes;

import flashsale.sale.EventSpec;
import java.util.ArrayList;
import java.util.List;

/** The Redis keys of every pool an event may have (CENTRAL, and each region's SHARDED one), by name. */
public final class PoolKeyNames {
  private PoolKeyNames() {}

  /** Whatever the mode: keys never written do not exist, and expiring them does nothing. */
  public static List<String> of(EventSpec spec) {
    List<String> names = new ArrayList<>(PoolKeys.central(spec.eventId()).all());
    for (String region : spec.regions()) names.addAll(PoolKeys.shard(spec.eventId(), region).all());
    return List.copyOf(new java.util.LinkedHashSet<>(names)); // the outbox is every pool's
  }
}
