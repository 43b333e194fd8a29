package flashsale.security;

import flashsale.credentials.StaticTokens;
import flashsale.credentials.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The security flags of a node that takes calls from regions, admins and auditors (the arbiter):
 * its TLS files, the CA its clients' certificates must chain to, and the bearer tokens it accepts.
 * Without TLS it refuses to start unless {@code --insecure} says this is a development run.
 */
public final class ServerSecurityOptions {
  @Option(names = "--tls-cert", paramLabel = "PEM", description = "This node's certificate chain (PEM), served to every client.")
  Path certificate;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Its private key (PKCS#8 PEM, RSA or EC).")
  Path privateKey;

  @Option(names = "--tls-ca", paramLabel = "PEM", description = "CA certificates that sign client certificates (regions "
      + "carry spiffe://<trust-domain>/region/<name> in their URI SAN). Required with --tls-cert.")
  Path trustedCa;

  @Option(names = "--tls-reload-s", defaultValue = "60", description = "Re-read the TLS files, the token file and the "
      + "JWK set this often, so renewed certificates, revoked tokens and rotated keys take effect without a restart "
      + "(default ${DEFAULT-VALUE}).")
  long reloadSeconds;

  @Option(names = "--trust-domain", defaultValue = "flashsale", description = "The trust domain of the workload ids in "
      + "certificates (default ${DEFAULT-VALUE}).")
  String trustDomain;

  @Option(names = "--token-file", paramLabel = "FILE", description = "Static bearer tokens: lines '<roles> <name> "
      + "<sha256 hex of the token>' (roles: admin, auditor, order).")
  Path tokenFile;

  @Option(names = "--jwt-jwks", paramLabel = "FILE", description = "JWK set whose keys sign accepted JWT bearer tokens "
      + "(claims: sub, exp, roles).")
  Path jwks;

  @Option(names = "--jwt-issuer", description = "Required 'iss' of JWTs (default: any).")
  String jwtIssuer;

  @Option(names = "--jwt-audience", description = "Required 'aud' of JWTs; needed with --jwt-jwks.")
  String jwtAudience;

  @Option(names = "--insecure", description = "Development only: plaintext, and every caller may act as any region or "
      + "admin. Without it the node needs --tls-cert, --tls-key and --tls-ca.")
  boolean insecure;

  public boolean insecure() {
    return insecure;
  }

  /** Why these flags cannot start a node, or null when they can. */
  public String problem() {
    // TlsFiles would quietly take 0 or less as 60 s (and the token file refuses it): say so at start.
    if (reloadSeconds < 1) return "--tls-reload-s must be >= 1, got " + reloadSeconds;
    if (insecure) {
      // Each of these would be ignored: an operator who gave one meant security on.
      var ignored = new java.util.ArrayList<String>();
      if (certificate != null) ignored.add("--tls-cert");
      if (privateKey != null) ignored.add("--tls-key");
      if (trustedCa != null) ignored.add("--tls-ca");
      if (tokenFile != null) ignored.add("--token-file");
      if (jwks != null) ignored.add("--jwt-jwks");
      if (jwtAudience != null) ignored.add("--jwt-audience");
      if (jwtIssuer != null) ignored.add("--jwt-issuer");
      return ignored.isEmpty() ? null
          : "--insecure turns security off, so " + String.join(", ", ignored) + " would be ignored: drop --insecure, or drop them";
    }
    if (jwks != null && (jwtAudience == null || jwtAudience.isBlank())) {
      // An identity provider signs tokens for many applications with the same keys: without an
      // audience, one issued to any of them with a "roles" claim would be taken here.
      return "--jwt-jwks needs --jwt-audience (the 'aud' this arbiter's tokens carry): without it, a token the "
          + "identity provider issued for any other application would be accepted";
    }
    if (certificate == null || privateKey == null || trustedCa == null) {
      return "regions prove who they are with certificates: give --tls-cert, --tls-key and --tls-ca "
          + "(see the README's Security section), or --insecure for a development run";
    }
    return null;
  }

  public TlsFiles tlsFiles() {
    return new TlsFiles(certificate, privateKey, trustedCa, Duration.ofSeconds(reloadSeconds));
  }

  /**
   * The authenticator for these flags; null with {@code --insecure}. The token file and the JWK set
   * are read now (a bad one fails the start) and again after they change, checked every
   * {@code --tls-reload-s}.
   */
  public Authenticator authenticator() throws IOException {
    if (insecure) return null;
    Duration period = Duration.ofSeconds(reloadSeconds);
    return new Authenticator(trustDomain, tokenFile == null ? null : ReloadingFile.load(tokenFile, StaticTokens::parse, period),
        jwks == null ? null : ReloadingFile.load(jwks, (f, content) -> JwtTokens.parse(f, content, jwtIssuer, jwtAudience),
            period));
  }
}
