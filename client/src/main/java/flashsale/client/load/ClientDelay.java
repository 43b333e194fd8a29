package flashsale.client.load;

/**
 * Extra client-side delay before a request goes on the wire, to simulate users far from their
 * region. The request's true send time is taken before the delay, so the delay counts as the
 * user's own network path: it shows up in latency and, if it reorders users, in unfairness.
 */
@FunctionalInterface
public interface ClientDelay {
  /** No delay for anyone. */
  ClientDelay NONE = request -> 0;

  /** Microseconds to hold {@code request} before sending it; 0 or less sends at once. */
  long extraMicros(PlannedRequest request);
}
