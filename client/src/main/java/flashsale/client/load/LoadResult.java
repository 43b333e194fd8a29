package flashsale.client.load;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * A finished load run: one record per planned request, in plan order, the run's wall-clock span
 * and the latency histogram of decided requests (microseconds).
 */
public record LoadResult(List<RequestRecord> records, long startMicros, long endMicros, Histogram latencyMicros) {
  public LoadResult {
    records = List.copyOf(records);
  }

  /** Requests that ended with {@code outcome}. */
  public long count(RecordOutcome outcome) {
    return records.stream().filter(r -> r.outcome() == outcome).count();
  }

  /** Answered requests (any outcome) per second of the run. */
  public double throughputPerSecond() {
    long spanMicros = endMicros - startMicros;
    return spanMicros <= 0 ? 0 : records.size() * 1e6 / spanMicros;
  }
}
