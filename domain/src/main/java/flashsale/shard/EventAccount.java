package flashsale.shard;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * An event's stock across all its shards, from one snapshot of each: what the conservation
 * invariant {@code remaining + sold + inFlight = stock} is checked on.
 *
 * @param inFlightUnits debited at a source and not (yet) credited at the target
 */
public record EventAccount(long remainingUnits, long soldUnits, long inFlightUnits, int pendingTransfers) {

  public static EventAccount of(Collection<ShardSnapshot> shards) {
    Set<String> credited = new HashSet<>();
    shards.forEach(s -> credited.addAll(s.credited()));
    long remaining = 0;
    long sold = 0;
    long inFlight = 0;
    int pending = 0;
    for (ShardSnapshot s : shards) {
      remaining += s.remainingUnits();
      sold += s.soldUnits();
      for (TransferRecord t : s.pendingOutgoing()) {
        pending++;
        if (!credited.contains(t.transferId())) inFlight += t.units();
      }
    }
    return new EventAccount(remaining, sold, inFlight, pending);
  }

  /** Units not yet sold: in a shard or on their way to one. */
  public long unsoldUnits() {
    return remainingUnits + inFlightUnits;
  }

  /** @throws IllegalStateException unless every unit of {@code stock} is in a shard, sold or in flight */
  public EventAccount requireConserved(long stock) {
    if (remainingUnits + soldUnits + inFlightUnits != stock) {
      throw new IllegalStateException("stock not conserved: shards " + remainingUnits + " + sold " + soldUnits
          + " + in flight " + inFlightUnits + " != stock " + stock);
    }
    return this;
  }

  /** Every shard empty and nothing in flight: no request can win any more. */
  public boolean soldOut() {
    return unsoldUnits() == 0;
  }
}
