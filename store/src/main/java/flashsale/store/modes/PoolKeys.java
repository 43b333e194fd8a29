package flashsale.store.modes;

/**
 * The Redis keys of one stock pool of an event: the CENTRAL pool, or a region's SHARDED pool.
 * All carry the event's hash tag, so one function call stays in one Cluster slot. The outbox is
 * the event's one winners stream, whichever mode filled it.
 */
record PoolKeys(String eventId, String pool) {
  /** Every key of this pool, as a finished event's retention expires them. */
  java.util.List<String> all() {
    return java.util.List.of(state(), decisions(), users(), log(), outbox(), transfersOut(), transfersSettled(),
        transfersIn(), transfersForgotten());
  }

  static PoolKeys central(String eventId) {
    return new PoolKeys(eventId, "central");
  }

  /** The region's name is in the key, so several regions' shards may share one Redis (a demo). */
  static PoolKeys shard(String eventId, String region) {
    return new PoolKeys(eventId, "shard:" + region);
  }

  /** Hash: initial, remaining, sold, last_rank (decisions so far), wins; lost_at once a node found it lost (modes.lua). */
  String state() {
    return key(pool);
  }

  /** Hash: request id to stored decision (see {@link DecisionText}). */
  String decisions() {
    return key(pool + ":decisions");
  }

  /** Hash: user id to units won. */
  String users() {
    return key(pool + ":users");
  }

  /** List: request ids in rank order (rank r at index r - 1); kept for the CENTRAL pool only. */
  String log() {
    return key(pool + ":log");
  }

  String outbox() {
    return key("outbox");
  }

  /** Hash: transfer id to {@code PENDING <target> <units>}, until settled (an older build kept {@code DONE} ones). */
  String transfersOut() {
    return key(pool + ":transfers-out");
  }

  /** Set: ids of the transfers settled here (never debited again; never read in full). */
  String transfersSettled() {
    return key(pool + ":transfers-settled");
  }

  /** Set: ids of transfers credited to this pool, until forgotten. */
  String transfersIn() {
    return key(pool + ":transfers-in");
  }

  /** Set: ids of the credits forgotten here (never credited again; never read in full). */
  String transfersForgotten() {
    return key(pool + ":transfers-forgotten");
  }

  private String key(String suffix) {
    return "fs:{" + eventId + "}:" + suffix;
  }
}
