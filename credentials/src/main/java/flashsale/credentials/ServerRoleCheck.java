package flashsale.credentials;

import io.grpc.util.AdvancedTlsX509TrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/**
 * A client's check, after the chain and host name, that the server's certificate names the
 * workload it means to call: the same CA signs regions', admins' and arbiters' certificates, for
 * the same hosts, so a chain alone does not tell a region's key from the arbiter's.
 */
public final class ServerRoleCheck implements AdvancedTlsX509TrustManager.SslSocketAndEnginePeerVerifier {
  private final Role role;
  private final String trustDomain; // null: any
  private final boolean idRequired;

  private ServerRoleCheck(Role role, String trustDomain, boolean idRequired) {
    this.role = role;
    this.trustDomain = trustDomain;
    this.idRequired = idRequired;
  }

  /** The server must carry a {@code role} workload id of {@code trustDomain} (a region's link to the arbiter). */
  public static ServerRoleCheck required(Role role, String trustDomain) {
    return new ServerRoleCheck(role, trustDomain, true);
  }

  /**
   * A server whose certificate names a workload must name a {@code role} one; one naming none (a
   * public certificate in front of the node) passes on its chain and host name alone (the CLI).
   */
  public static ServerRoleCheck ifNamed(Role role) {
    return new ServerRoleCheck(role, null, false);
  }

  /**
   * A client's trust manager: the chain to {@code trustedCa} and the host name, then this check. Its
   * CA is loaded now; a caller that reloads the file calls {@code updateTrustCredentials} again.
   */
  public AdvancedTlsX509TrustManager trustManager(java.nio.file.Path trustedCa)
      throws java.io.IOException, java.security.GeneralSecurityException {
    AdvancedTlsX509TrustManager trust = unloaded();
    trust.updateTrustCredentials(trustedCa.toFile());
    return trust;
  }

  /** As {@link #trustManager(java.nio.file.Path)}, with CA certificates already read (a reloading caller's). */
  public AdvancedTlsX509TrustManager trustManager(X509Certificate[] trustedCas)
      throws java.io.IOException, java.security.GeneralSecurityException {
    AdvancedTlsX509TrustManager trust = unloaded();
    trust.updateTrustCredentials(trustedCas);
    return trust;
  }

  private AdvancedTlsX509TrustManager unloaded() throws CertificateException {
    return AdvancedTlsX509TrustManager.newBuilder()
        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
        .setSslSocketAndEnginePeerVerifier(this).build();
  }

  @Override
  public void verifyPeerCertificate(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain);
  }

  @Override
  public void verifyPeerCertificate(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain);
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    Optional<WorkloadId> id = chain.length == 0 ? Optional.empty()
        : trustDomain == null ? WorkloadId.in(chain[0]) : WorkloadId.in(chain[0], trustDomain);
    if (id.isEmpty() && !idRequired) return;
    if (id.isEmpty() || id.get().role() != role) {
      throw new CertificateException("the server's certificate names " + id.map(WorkloadId::uri)
          .orElse("no spiffe://" + trustDomain + " workload") + ", not " + ("aeiou".indexOf(role.label().charAt(0)) >= 0
          ? "an " : "a ") + role.label());
    }
  }
}
