package flashsale.region;

import flashsale.credentials.TlsFiles;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * A region's security flags: the certificate that proves its name to the arbiter (mutual TLS on
 * the link), and optionally TLS for its buyers. Without a link certificate it refuses to start
 * unless {@code --insecure} says this is a development run.
 */
final class LinkSecurityOptions {
  @Option(names = "--link-cert", paramLabel = "PEM", description = "This region's certificate (PEM) for the arbiter "
      + "link; its URI SAN spiffe://<trust-domain>/region/<name> must name --region.")
  Path linkCertificate;

  @Option(names = "--link-key", paramLabel = "PEM", description = "Its private key (PKCS#8 PEM).")
  Path linkKey;

  @Option(names = "--link-ca", paramLabel = "PEM", description = "CA certificates that sign the arbiters' certificates.")
  Path linkCa;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate served to buyers; without it the buyer "
      + "port is plaintext (put it behind your own TLS-terminating proxy, or give this and --tls-key).")
  Path buyerCertificate;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of --tls-cert (PKCS#8 PEM).")
  Path buyerKey;

  @Option(names = "--tls-reload-s", defaultValue = "60", description = "Re-read the TLS files this often, so renewed "
      + "certificates take effect without a restart (default ${DEFAULT-VALUE}).")
  long reloadSeconds;

  @Option(names = "--insecure", description = "Development only: a plaintext arbiter link, and an arbiter run with "
      + "--insecure takes this region's word for its name.")
  boolean insecure;

  /** Why these flags cannot start a region, or null when they can. */
  String problem() {
    // TlsFiles would quietly take 0 or less as 60 s: say so at start.
    if (reloadSeconds < 1) return "--tls-reload-s must be >= 1, got " + reloadSeconds;
    if (insecure) {
      // Each would be ignored: an operator who gave one meant the link to be secured.
      var ignored = new java.util.ArrayList<String>();
      if (linkCertificate != null) ignored.add("--link-cert");
      if (linkKey != null) ignored.add("--link-key");
      if (linkCa != null) ignored.add("--link-ca");
      if (!ignored.isEmpty()) {
        return "--insecure turns the link's TLS off, so " + String.join(", ", ignored) + " would be ignored: drop"
            + " --insecure, or drop them";
      }
    }
    if (!insecure && (linkCertificate == null || linkKey == null || linkCa == null)) {
      return "the arbiter knows a region by its certificate: give --link-cert, --link-key and --link-ca "
          + "(see the README's Security section), or --insecure for a development run";
    }
    if ((buyerCertificate == null) != (buyerKey == null)) return "give --tls-cert and --tls-key together";
    return null;
  }

  /**
   * Why the link certificate cannot carry {@code region}'s streams, or null when it names it: the
   * arbiter would refuse every stream IDENTITY_MISMATCH and the node would never serve.
   */
  static String identityProblem(java.util.Optional<flashsale.credentials.WorkloadId> inCertificate, String region) {
    if (inCertificate.isEmpty()) {
      return "--link-cert carries no spiffe://<trust-domain>/region/<name> URI SAN: the arbiter could not tell which "
          + "region it is (issue it with 'flashsale dev-certs --region " + region + "' or your CA)";
    }
    var id = inCertificate.get();
    if (id.role() != flashsale.credentials.Role.REGION || !id.name().equals(region)) {
      return "--link-cert names " + id.uri() + ", not region " + region + ": the arbiter would refuse every stream of "
          + "this node (IDENTITY_MISMATCH); give --region " + (id.role() == flashsale.credentials.Role.REGION ? id.name()
          : "<the region it names>") + " or region " + region + "'s certificate";
    }
    return null;
  }

  /** The link's TLS, or null with {@code --insecure}. */
  TlsFiles.Loaded linkTls() throws IOException {
    return insecure ? null : new TlsFiles(linkCertificate, linkKey, linkCa, Duration.ofSeconds(reloadSeconds)).load();
  }

  /** The buyer port's TLS, or null for plaintext. */
  TlsFiles.Loaded buyerTls() throws IOException {
    return buyerCertificate == null ? null
        : new TlsFiles(buyerCertificate, buyerKey, null, Duration.ofSeconds(reloadSeconds)).load();
  }

  static ServerCredentials serverCredentials(TlsFiles.Loaded tls) {
    return tls == null ? InsecureServerCredentials.create() : tls.server(false);
  }
}
