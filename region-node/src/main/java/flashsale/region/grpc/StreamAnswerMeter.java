package flashsale.region.grpc;

import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts {@code StreamPurchases} answers by the gRPC code a {@code Purchase} call would have ended
 * with: one purchase's error on a stream ends no call, so the server's per-call metrics never see
 * it. Labelled as those are ({@code service}, {@code method}, {@code status_code}), so one alert
 * reads both.
 */
final class StreamAnswerMeter {
  /** Counts nothing: a node whose meters are not bound. */
  static final StreamAnswerMeter NONE = new StreamAnswerMeter(null);

  /** By {@link Status.Code#ordinal()}; null for {@link #NONE}. */
  private final Counter[] byCode;

  private StreamAnswerMeter(Counter[] byCode) {
    this.byCode = byCode;
  }

  static StreamAnswerMeter register(MeterRegistry registry) {
    Status.Code[] codes = Status.Code.values();
    Counter[] byCode = new Counter[codes.length];
    for (Status.Code code : codes) {
      byCode[code.ordinal()] = Counter.builder("flashsale_purchase_answers")
          .description("Purchases and bids answered on StreamPurchases, by the code a Purchase call would have had")
          .tag("service", "flashsale.v1.FlashSaleService").tag("method", "StreamPurchases")
          .tag("status_code", code.name()).register(registry);
    }
    return new StreamAnswerMeter(byCode);
  }

  void answered(Status.Code code) {
    if (byCode != null) byCode[code.ordinal()].increment();
  }
}
