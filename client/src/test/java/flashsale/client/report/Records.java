package flashsale.client.report;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;

/** Hand-made load records for the report tests. */
final class Records {
  private Records() {}

  /** A decided request with a 1 ms latency. */
  static RequestRecord decided(String id, String region, long sendMicros, long rank, boolean won) {
    return new RequestRecord(id, "u-" + id, region, sendMicros, 0,
        won ? RecordOutcome.WON : RecordOutcome.LOST, rank, sendMicros + 500, sendMicros + 900, 1_000, "");
  }

  static RequestRecord failed(String id, String region, long sendMicros) {
    return new RequestRecord(id, "u-" + id, region, sendMicros, 0, RecordOutcome.ERROR, 0, 0, 0, 300, "UNAVAILABLE");
  }
}
