package flashsale.client.report;

import flashsale.client.load.RequestRecord;
import java.util.List;
import java.util.Objects;

/**
 * One load run to report on, e.g. the same workload against one sale mode.
 *
 * @param label column heading in the report, e.g. {@code GLOBAL_ORDER}
 */
public record RunResult(String label, List<RequestRecord> records) {
  public RunResult {
    Objects.requireNonNull(label, "label");
    records = List.copyOf(records);
  }
}
