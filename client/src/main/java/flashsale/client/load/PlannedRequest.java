package flashsale.client.load;

/**
 * One request of a run before it is sent: who sends it, to which region, and when it is due.
 *
 * @param index position in the run, 0-based
 * @param offsetMicros due time after the start of the run
 */
public record PlannedRequest(int index, String requestId, String userId, String region, long offsetMicros) {}
