package flashsale.store.redis;

/**
 * The Redis keys of one event. All share the hash tag {@code {eventId}}, so they live in one
 * Redis Cluster slot and a single function call may touch them together; the slot's index keys
 * carry that slot's own tag ({@link SlotTags}), so the call that creates an event indexes it too.
 */
record EventKeys(String eventId) {
  /** The live-event set of the layout before the per-slot indexes: still read, and finished events leave it. */
  static final String LEGACY_LIVE_INDEX = "fs:live";

  /**
   * Hash: create request id to the event id it created (AIP-155: a reused request id must not
   * create a second event). Spans events, so it is written outside functions.
   */
  static final String CREATE_REQUESTS = "fs:create-requests";

  /**
   * Set: the named region nodes of the layout before per-partition records (every partition's, no
   * epochs). Still read by every partition's new leader, and a forget removes from it too.
   */
  static final String LEGACY_REGION_NODES = "fs:region-nodes";

  /**
   * Hash: the named region nodes ({@code region/node}) new leaders wait for, field {@code
   * "<partition> <node>"}, value {@code "<epoch> <partition count> <writer>"} of its latest record.
   * Spans events and partitions: one key, one slot.
   */
  static final String REGION_NODE_RECORDS = "fs:region-node-records";

  /** The event's Redis Cluster slot: its keys' and its index entries'. */
  int slot() {
    return SlotTags.slotOf(meta());
  }

  /**
   * Set: ids of the events of this event's slot, created and not yet finished (what a new leader
   * claims and loads). Written by the create call itself; an event leaves when its leader finishes it.
   */
  String liveIndex() {
    return liveIndex(slot());
  }

  /** Set: ids of every event of this event's slot, written by the create call itself. */
  String eventIndex() {
    return eventIndex(slot());
  }

  static String liveIndex(int slot) {
    return "fs:{" + SlotTags.of(slot) + "}:live";
  }

  static String eventIndex(int slot) {
    return "fs:{" + SlotTags.of(slot) + "}:events";
  }

  /** Hash: the event's spec, its creating request id, remaining stock and last decided rank. */
  String meta() {
    return key("meta");
  }

  /** String: present once the event's CENTRAL or SHARDED pools were opened (see ArbiterStore#markPoolsOpened). */
  String poolsOpened() {
    return key("pools-opened");
  }

  /** Hash: request id to encoded decision. */
  String decisions() {
    return key("decisions");
  }

  /** List of request ids in rank order: rank r sits at index r - 1. */
  String log() {
    return key("log");
  }

  /** Hash: user id to units won. */
  String users() {
    return key("users");
  }

  /** Stream: one entry per winner, for the downstream order service. */
  String outbox() {
    return key("outbox");
  }

  /** Hash: request id to order record (after the win, issue 15). */
  String orders() {
    return key("orders");
  }

  /** Hash: the event's payment terms and order counters. */
  String orderMeta() {
    return key("orders:meta");
  }

  /** Hash: user id to units awaiting payment or paid. */
  String orderUsers() {
    return key("orders:users");
  }

  /** Sorted set: waitlisted request ids by rank. */
  String waitlist() {
    return key("waitlist");
  }

  /** Every key of the event (not the slot's indexes), as a finished event's retention expires them. */
  java.util.List<String> all() {
    return java.util.List.of(meta(), poolsOpened(), decisions(), log(), users(), outbox(), orders(), orderMeta(),
        orderUsers(), waitlist());
  }

  private String key(String suffix) {
    return "fs:{" + eventId + "}:" + suffix;
  }
}
