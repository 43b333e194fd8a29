package flashsale.client.load;

import flashsale.client.FlashSaleChannels;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Measures how many requests per second the load generator itself can drive, against a region
 * that answers at once ({@link NoopFlashSaleService}), in process or over loopback TCP. A figure,
 * not a pass/fail check: runs against real nodes are only meaningful well below it. Run with
 * {@code flashsale loadgen-ceiling} or this class's {@link #main}.
 */
public final class LoadgenCeiling {
  /** How the generator reaches the no-op region. */
  public enum Transport {
    /** grpc-inprocess: no sockets, no serialization cost beyond protobuf. */
    INPROCESS,
    /** Netty over 127.0.0.1: the real client stack. */
    LOOPBACK
  }

  /**
   * One measurement.
   *
   * @param requestsPerSecond answered requests per second of the measured run
   */
  public record Measurement(
      Transport transport, int requests, int maxInFlight, double requestsPerSecond,
      long p50Micros, long p99Micros, long errors) {
    /** One line for humans. */
    public String summary() {
      return String.format(Locale.ROOT,
          "loadgen ceiling %-9s %,10.0f requests/s  (%d requests, %d in flight, latency p50 %d µs p99 %d µs, %d errors)",
          transport.name().toLowerCase(Locale.ROOT), requestsPerSecond, requests, maxInFlight,
          p50Micros, p99Micros, errors);
    }
  }

  private LoadgenCeiling() {}

  /** Runs a warm-up of a quarter of {@code requests}, then the measured burst of {@code requests}. */
  public static Measurement measure(Transport transport, int requests, int maxInFlight)
      throws IOException, InterruptedException {
    String name = InProcessServerBuilder.generateName();
    Server server =
        (transport == Transport.INPROCESS
                ? InProcessServerBuilder.forName(name)
                : Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
            .directExecutor()
            .addService(new NoopFlashSaleService())
            .build()
            .start();
    String target =
        transport == Transport.INPROCESS
            ? FlashSaleChannels.IN_PROCESS_PREFIX + name
            : "127.0.0.1:" + server.getPort();
    ManagedChannel channel = FlashSaleChannels.forTarget(target);
    try {
      // The JIT needs a few thousand calls before the figure means anything.
      burst(channel, Math.max(1, requests / 4), maxInFlight);
      LoadResult result = burst(channel, requests, maxInFlight);
      return new Measurement(
          transport, requests, maxInFlight, result.throughputPerSecond(),
          result.latencyMicros().getValueAtPercentile(50), result.latencyMicros().getValueAtPercentile(99),
          result.count(RecordOutcome.ERROR));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static LoadResult burst(ManagedChannel channel, int requests, int maxInFlight)
      throws InterruptedException {
    LoadConfig config =
        LoadConfig.of("ceiling", List.of(new RegionTarget("local", channel)), requests, requests,
                Duration.ofSeconds(1), ArrivalPattern.BURST)
            .withMaxInFlight(maxInFlight);
    return new LoadGenerator(config).run();
  }

  /** Prints the ceiling for both transports: {@code [requests] [maxInFlight]}. */
  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int maxInFlight = args.length > 1 ? Integer.parseInt(args[1]) : LoadConfig.DEFAULT_MAX_IN_FLIGHT;
    for (Transport transport : Transport.values()) {
      System.out.println(measure(transport, requests, maxInFlight).summary());
    }
  }
}
