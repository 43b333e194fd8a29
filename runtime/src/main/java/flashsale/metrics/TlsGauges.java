package flashsale.metrics;

import flashsale.credentials.TlsFiles;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.Optional;

/**
 * A node's own TLS files on its /metrics, so a renewal that stopped working is seen before the
 * certificate expires and peers refuse the node: when the certificate as loaded started and
 * expires, and when its chain does (an intermediate may expire first), as Unix times, and whether
 * the files on disk hold a change that does not load (or could not be read). Tagged {@code use}: {@code server} (an arbiter's port), {@code link} (a
 * region's certificate toward the arbiters), {@code buyers} (a region's buyer-facing port).
 */
public final class TlsGauges {
  private TlsGauges() {}

  public static void bind(MeterRegistry registry, String use, TlsFiles.Loaded tls) {
    if (tls.certificateExpiry().isPresent()) {
      Gauge.builder("flashsale_tls_certificate_start_timestamp_seconds", tls, t -> seconds(t.certificateStart()))
          .description("When this node's certificate, as loaded, started to be valid (Unix time)")
          .tag("use", use).register(registry);
      Gauge.builder("flashsale_tls_certificate_expiry_timestamp_seconds", tls, t -> seconds(t.certificateExpiry()))
          .description("When this node's certificate, as loaded, expires (Unix time)")
          .tag("use", use).register(registry);
      Gauge.builder("flashsale_tls_chain_expiry_timestamp_seconds", tls, t -> seconds(t.chainExpiry()))
          .description("When this node's certificate chain, as loaded, stops being valid: its earliest expiry (Unix time)")
          .tag("use", use).register(registry);
    }
    Gauge.builder("flashsale_tls_files_stale", tls, t -> t.stale() ? 1 : 0)
        .description("1 while this node's TLS files on disk hold a change that does not load (the previous ones are served)")
        .tag("use", use).register(registry);
  }

  private static double seconds(Optional<Instant> at) {
    return at.map(t -> t.getEpochSecond() + t.getNano() / 1e9).orElse(Double.NaN);
  }
}
