package flashsale.store.redis;

/**
 * The Redis keys of one event. All share the hash tag {@code {eventId}}, so they live in one
 * Redis Cluster slot and a single function call may touch them together.
 */
record EventKeys(String eventId) {
  /** The set of all event ids; written outside functions because it spans events. */
  static final String EVENT_INDEX = "fs:events";

  /**
   * The set of events not yet finished: all a new leader claims and loads. Spans events, so it is
   * written outside functions; an event enters at creation and leaves when its leader finishes it.
   */
  static final String LIVE_INDEX = "fs:live";

  /**
   * Hash: create request id to the event id it created (AIP-155: a reused request id must not
   * create a second event). Spans events, so it is written outside functions.
   */
  static final String CREATE_REQUESTS = "fs:create-requests";

  /** Hash: the event's spec, its creating request id, remaining stock and last decided rank. */
  String meta() {
    return key("meta");
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

  private String key(String suffix) {
    return "fs:{" + eventId + "}:" + suffix;
  }
}
