package flashsale.client;

import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
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
 * on {@code FlashSaleService}, {@code EventAdminService} and {@code OrderService}. Retrying is safe
 * because every mutating request carries a {@code request_id}: a repeat returns the first answer.
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
   * A TLS channel that follows {@code tls}'s files for as long as it is open, for a long-lived
   * client with a client certificate (an order service, an admin tool): once a renewed certificate
   * and key are read, new calls go through new connections that present them, and calls in flight
   * finish on the old ones (the arbiter ends a connection's calls once the certificate of its
   * handshake expires); once a CA is taken out of the CA file, the old connections' calls end and
   * new ones check the server against the CAs left. {@code tls} is re-read at its own period; close
   * it after the channel.
   */
  public static RenewingChannel forTarget(String target, TlsFiles.Loaded tls) {
    return following(target, tls, tls.channel());
  }

  /**
   * As {@link #forTarget(String, TlsFiles.Loaded)}, and the server must prove it is an arbiter of
   * this client's trust domain (its certificate's URI SAN), not just any certificate the CA signed
   * for the host: what admin and order clients want. Needs this client's certificate to carry its
   * {@code spiffe://} workload id.
   */
  public static RenewingChannel toArbiter(String target, TlsFiles.Loaded tls) {
    return following(target, tls, tls.channelTo(Role.ARBITER));
  }

  private static RenewingChannel following(String target, TlsFiles.Loaded tls, ChannelCredentials credentials) {
    RenewingChannel channel = new RenewingChannel(() -> forTarget(target, credentials));
    channel.closeOnShutdown(tls.onIdentityChanged(channel::renew));
    channel.closeOnShutdown(tls.onCaRemoved(channel::reopen));
    return channel;
  }

  /**
   * gRPC's retry throttling: each failed attempt takes a token, each success gives back half of one;
   * retries stop while half of the {@value} tokens or fewer are left. So one client whose ten calls
   * all fail five times is still retried, and retries stop once about a third of attempts fail.
   */
  static final int RETRY_TOKENS = 100;

  /**
   * The service config: exponential backoff from 50 ms to 1 s, {@value #MAX_ATTEMPTS} attempts,
   * only {@code UNAVAILABLE} is retried (other codes are answers, not outages), throttled ({@link
   * #RETRY_TOKENS}). gRPC wants JSON numbers as doubles.
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
                    Map.of("service", "flashsale.v1.EventAdminService"),
                    // Confirm and cancel are idempotent by the purchase's request id; GetOrder only reads.
                    Map.of("service", "flashsale.v1.OrderService")),
            "retryPolicy", retryPolicy);
    // A region that answers UNAVAILABLE to everybody (its arbiter link down) must not get every
    // call five times: see RETRY_TOKENS.
    Map<String, Object> retryThrottling = Map.of("maxTokens", (double) RETRY_TOKENS, "tokenRatio", 0.5);
    return Map.of("methodConfig", List.of(methodConfig), "retryThrottling", retryThrottling);
  }
}
