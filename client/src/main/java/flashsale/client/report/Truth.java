package flashsale.client.report;

import flashsale.client.load.RequestRecord;
import java.util.List;

/**
 * Which time the fairness metrics rank the ideal by. {@link #WIRE}, when a tap saw every decided
 * request reach its region, is the ground truth of arrival; {@link #SEND}, the load generator's
 * own clock before its client stack and the network, is the secondary view (a client batches its
 * writes under load, so send order is not arrival order).
 */
public enum Truth {
  WIRE("wire arrival at the region"),
  SEND("load generator's send time");

  private final String description;

  Truth(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }

  /** The time of {@code r} under this truth, UTC µs. */
  public long micros(RequestRecord r) {
    return this == WIRE ? r.wireMicros() : r.sendMicros();
  }

  /** WIRE when a tap saw every decided request (and there was one), SEND otherwise. */
  public static Truth of(List<RequestRecord> records) {
    List<RequestRecord> decided = records.stream().filter(RequestRecord::decided).toList();
    return !decided.isEmpty() && decided.stream().allMatch(RequestRecord::seenOnWire) ? WIRE : SEND;
  }
}
