package flashsale.metrics;

import flashsale.credentials.TlsFiles;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.Optional;

/**
 * A node's own TLS files on its /metrics, so a renewal that stopped working is seen before the
 * certificate expires and peers refuse the node: when the certificate as loaded started and when
 * it (its chain's earliest) expires, as Unix times, and whether the files on disk hold a change
 * that does not load. Tagged {@code use}: {@code server} (an arbiter's port), {@code link} (a
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
          .description("When this node's certificate chain, as loaded, expires (its earliest certificate; Unix time)")
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
