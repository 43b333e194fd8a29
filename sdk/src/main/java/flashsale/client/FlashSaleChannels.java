package flashsale.client;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.List;
import java.util.Map;

/**
 * Builds channels to flash-sale nodes with a gRPC service config that retries {@code UNAVAILABLE}
 * on {@code FlashSaleService} and {@code EventAdminService}. Retrying is safe because every
 * mutating request carries a {@code request_id}: a repeat returns the first answer.
 */
public final class FlashSaleChannels {
  /** Target prefix for a server in this JVM, e.g. {@code inprocess:region-a} (tests, demos). */
  public static final String IN_PROCESS_PREFIX = "inprocess:";

  /** Attempts per call, first one included. */
  static final int MAX_ATTEMPTS = 5;

  private FlashSaleChannels() {}

  /**
   * A plaintext channel to {@code host:port} (any gRPC target URI works too), or to an in-process
   * server named after {@value #IN_PROCESS_PREFIX}. The caller shuts it down.
   */
  public static ManagedChannel forTarget(String target) {
    return forTarget(target, InsecureChannelCredentials.create());
  }

  /** As {@link #forTarget(String)}, with {@code credentials} (TLS, with or without a client certificate). */
  public static ManagedChannel forTarget(String target, ChannelCredentials credentials) {
    ManagedChannelBuilder<?> builder =
        target.startsWith(IN_PROCESS_PREFIX)
            ? InProcessChannelBuilder.forName(target.substring(IN_PROCESS_PREFIX.length()))
            : Grpc.newChannelBuilder(target, credentials);
    return builder
        .defaultServiceConfig(serviceConfig())
        .enableRetry()
        .maxRetryAttempts(MAX_ATTEMPTS)
        .build();
  }

  /**
   * The service config: exponential backoff from 50 ms to 1 s, {@value #MAX_ATTEMPTS} attempts,
   * only {@code UNAVAILABLE} is retried (other codes are answers, not outages). gRPC wants JSON
   * numbers as doubles.
   */
  public static Map<String, ?> serviceConfig() {
    Map<String, Object> retryPolicy =
        Map.of(
            "maxAttempts", (double) MAX_ATTEMPTS,
            "initialBackoff", "0.05s",
            "maxBackoff", "1s",
            "backoffMultiplier", 2.0,
            "retryableStatusCodes", List.of("UNAVAILABLE"));
    Map<String, Object> methodConfig =
        Map.of(
            "name",
                List.of(
                    Map.of("service", "flashsale.v1.FlashSaleService"),
                    Map.of("service", "flashsale.v1.EventAdminService")),
            "retryPolicy", retryPolicy);
    return Map.of("methodConfig", List.of(methodConfig));
  }
}
