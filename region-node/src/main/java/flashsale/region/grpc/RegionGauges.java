package flashsale.region.grpc;

import flashsale.region.core.ReadOrder;
import flashsale.region.core.RegionCore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;

/**
 * A region node's gauges, sampled on the region loop (the core belongs to it) every
 * {@value #SAMPLE_MS} ms and read by scrapes from the sample: pending purchases, whether the
 * arbiter stream is up, the clock offset to the arbiter and its round trip, whether the arbiter
 * flagged this region's clock; and counters of stamps pushed past their read and of purchases the
 * read-order gate let go overdue. All exist from start-up (offset 0 until the first probe returns).
 */
final class RegionGauges {
  static final long SAMPLE_MS = 100;
  private static final int PENDING = 0, LINK_UP = 1, OFFSET_MICROS = 2, ROUND_TRIP_MICROS = 3, FLAGGED = 4,
      STAMPS_PUSHED = 5, READ_ORDER_OVERDUE = 6;

  private RegionGauges() {}

  static void bind(MeterRegistry registry, String region, RegionLoop loop, RegionCore core, ReadOrder readOrder,
      BooleanSupplier linkUp) {
    AtomicLongArray sample = new AtomicLongArray(7);
    loop.every(() -> {
      sample.set(PENDING, core.pendingCount());
      sample.set(LINK_UP, linkUp.getAsBoolean() ? 1 : 0);
      core.clockEstimate().ifPresent(estimate -> {
        sample.set(OFFSET_MICROS, estimate.offsetMicros());
        sample.set(ROUND_TRIP_MICROS, estimate.roundTripMicros());
      });
      sample.set(FLAGGED, core.clockFlagged() ? 1 : 0);
      sample.set(STAMPS_PUSHED, core.stampsPushed());
      sample.set(READ_ORDER_OVERDUE, readOrder.overdue());
    }, SAMPLE_MS);
    Gauge.builder("flashsale_pending_purchases", sample, s -> s.get(PENDING))
        .description("Purchases waiting for the arbiter's decision").tag("region", region).register(registry);
    Gauge.builder("flashsale_arbiter_link_up", sample, s -> s.get(LINK_UP))
        .description("1 while the stream to an arbiter is up (welcomed), else 0").tag("region", region).register(registry);
    Gauge.builder("flashsale_clock_offset_seconds", sample, s -> s.get(OFFSET_MICROS) / 1e6)
        .description("This region's clock minus the arbiter's, from the probe with the shortest round trip")
        .tag("region", region).register(registry);
    Gauge.builder("flashsale_clock_round_trip_seconds", sample, s -> s.get(ROUND_TRIP_MICROS) / 1e6)
        .description("Round trip of the clock probe the offset comes from").tag("region", region).register(registry);
    Gauge.builder("flashsale_clock_flagged", sample, s -> s.get(FLAGGED))
        .description("1 while the arbiter does not rank this region because its clock is off").tag("region", region)
        .register(registry);
    FunctionCounter.builder("flashsale_stamps_pushed", sample, s -> s.get(STAMPS_PUSHED))
        .description("Purchases stamped more than 1 ms past their socket read (their error bound carries the push)")
        .tag("region", region).register(registry);
    FunctionCounter.builder("flashsale_read_order_overdue", sample, s -> s.get(READ_ORDER_OVERDUE))
        .description("Purchases let go to the stamp after waiting the longest hold for an older read")
        .tag("region", region).register(registry);
  }
}
