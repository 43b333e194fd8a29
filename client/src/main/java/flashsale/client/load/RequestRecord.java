package flashsale.client.load;

import java.util.Objects;

/**
 * What happened to one request of a load run: the ground truth the generator knows (its own send
 * time) next to what the system decided. Times are UTC epoch microseconds; fields the request never
 * got (rank, arrival, decide time) are 0, and {@code errorCode} is empty unless the call failed.
 *
 * @param sendMicros true send time from the generator's clock, before any client delay
 * @param clientDelayMicros artificial delay held before the request went on the wire
 * @param rank 1-based global rank, 0 if undecided
 * @param arrivalMicros the region's arrival stamp
 * @param decideMicros when the arbiter decided
 * @param latencyMicros from send to answer, client delay included (what the user waited)
 * @param errorCode the gRPC code name of a failed call
 * @param wireMicros when the request's bytes reached the region's socket, as a tap in front of
 *     the region saw them (the ground truth of arrival); 0 when no tap saw it
 * @param slotsAsked a reservation's acceptable slots, best first, joined by {@code ;} (empty for a
 *     flash sale)
 * @param slotWon the slot a reservation won (empty otherwise)
 */
public record RequestRecord(
    String requestId,
    String userId,
    String region,
    long sendMicros,
    long clientDelayMicros,
    RecordOutcome outcome,
    long rank,
    long arrivalMicros,
    long decideMicros,
    long latencyMicros,
    String errorCode,
    long wireMicros,
    String slotsAsked,
    String slotWon) {

  /** A record no tap saw: {@code wireMicros} 0. */
  public RequestRecord(String requestId, String userId, String region, long sendMicros, long clientDelayMicros,
      RecordOutcome outcome, long rank, long arrivalMicros, long decideMicros, long latencyMicros, String errorCode) {
    this(requestId, userId, region, sendMicros, clientDelayMicros, outcome, rank, arrivalMicros, decideMicros,
        latencyMicros, errorCode, 0);
  }

  /** A flash sale's record (no slots). */
  public RequestRecord(String requestId, String userId, String region, long sendMicros, long clientDelayMicros,
      RecordOutcome outcome, long rank, long arrivalMicros, long decideMicros, long latencyMicros, String errorCode,
      long wireMicros) {
    this(requestId, userId, region, sendMicros, clientDelayMicros, outcome, rank, arrivalMicros, decideMicros,
        latencyMicros, errorCode, wireMicros, "", "");
  }

  public RequestRecord {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(errorCode, "errorCode");
    slotsAsked = slotsAsked == null ? "" : slotsAsked; // results files written before reservations
    slotWon = slotWon == null ? "" : slotWon;
    if (outcome == RecordOutcome.WON && rank <= 0) {
      throw new IllegalArgumentException("winning request " + requestId + " has rank " + rank);
    }
    if (rank < 0) throw new IllegalArgumentException("request " + requestId + " has rank " + rank);
    if (wireMicros < 0) throw new IllegalArgumentException("request " + requestId + " has wire time " + wireMicros);
  }

  /** This record with the wire arrival a tap noted (0: none). */
  public RequestRecord withWireMicros(long micros) {
    return new RequestRecord(requestId, userId, region, sendMicros, clientDelayMicros, outcome, rank, arrivalMicros,
        decideMicros, latencyMicros, errorCode, micros, slotsAsked, slotWon);
  }

  /** True when a tap saw the request reach its region. */
  public boolean seenOnWire() {
    return wireMicros > 0;
  }

  /**
   * The region's stamp minus the wire arrival: how late the region stamped this request (its
   * clock error included). Only meaningful when both are known.
   */
  public long stampLagMicros() {
    if (!seenOnWire() || arrivalMicros == 0) throw new IllegalStateException(requestId + " has no wire time or no stamp");
    return arrivalMicros - wireMicros;
  }

  /**
   * Position in the decided order for comparisons. A loss with rank 0 was answered by its region's
   * sold-out fast path, after the last unit had gone: it sorts after every ranked decision.
   */
  public long orderRank() {
    return rank == 0 ? Long.MAX_VALUE : rank;
  }

  /** True when the request was decided (won or lost). */
  public boolean decided() {
    return outcome.decided();
  }

  /** True when the request won its units. */
  public boolean won() {
    return outcome == RecordOutcome.WON;
  }
}
