package flashsale.shard;

/** A decision to move {@code units} of one event's stock from one region's shard to another's. */
public record TransferPlan(String source, String target, long units) {
  public TransferPlan {
    if (source.equals(target)) throw new IllegalArgumentException("transfer from " + source + " to itself");
    if (units < 1) throw new IllegalArgumentException("transfer of " + units + " units");
  }
}
