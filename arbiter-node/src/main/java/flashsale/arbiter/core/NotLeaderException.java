package flashsale.arbiter.core;

/**
 * This node holds no sequencer term: it does not lead (a standby, or a leader that just lost its
 * lease). Adapters answer it as NOT_LEADER, so a client retries against the new leader.
 */
public final class NotLeaderException extends IllegalStateException {
  public NotLeaderException(String message) {
    super(message);
  }
}
