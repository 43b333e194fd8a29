package flashsale.client.cluster;

import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The throw-away PKI of a local deployment: one development CA and, on demand, a certificate per
 * node and per client role, with the node flags that use them. Production issues the same SANs
 * from its own CA (README, Security).
 */
public final class DevPki {
  /** The trust domain of the workload ids it issues (the nodes' default). */
  public static final String TRUST_DOMAIN = "flashsale";
  private final DevCertificates ca;
  private final Map<String, DevCertificates.Issued> issued = new HashMap<>();

  private DevPki(DevCertificates ca) {
    this.ca = ca;
  }

  /** A new CA whose files go to {@code directory}. */
  public static DevPki create(Path directory) throws IOException {
    return new DevPki(DevCertificates.create(directory, TRUST_DOMAIN));
  }

  /** The certificate of {@code role}/{@code name}, issued the first time it is asked for. */
  public synchronized DevCertificates.Issued certificate(Role role, String name) {
    return issued.computeIfAbsent(role.label() + "/" + name, k -> {
      try {
        return ca.issue(role, name);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /**
   * Issues {@code role}/{@code name} again over the same files, expiring {@code validity} from
   * now: a renewal in place, as a certificate agent writes it. Later flags and credentials use it.
   */
  public synchronized DevCertificates.Issued renew(Role role, String name, java.time.Duration validity) {
    try {
      DevCertificates.Issued renewed = ca.issueValidFor(validity, role, name);
      issued.put(role.label() + "/" + name, renewed);
      return renewed;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Flags of an arbiter node: its certificate and the CA its clients' certificates chain to. */
  public List<String> arbiterArgs(String nodeId) {
    DevCertificates.Issued c = certificate(Role.ARBITER, nodeId);
    return List.of("--tls-cert", c.certificate().toString(), "--tls-key", c.privateKey().toString(),
        "--tls-ca", c.trustedCa().toString());
  }

  /** Flags of a region node: the certificate that proves its name on the arbiter link. */
  public List<String> regionArgs(String region) {
    DevCertificates.Issued c = certificate(Role.REGION, region);
    return List.of("--link-cert", c.certificate().toString(), "--link-key", c.privateKey().toString(),
        "--link-ca", c.trustedCa().toString());
  }

  /** Credentials of a client holding {@code role} as {@code name} (mutual TLS). */
  public ChannelCredentials credentials(Role role, String name) {
    DevCertificates.Issued c = certificate(role, name);
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(c.certificate().toFile(), c.privateKey().toFile())
          .trustManager(c.trustedCa().toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Credentials that trust the CA and present no certificate: an anonymous TLS client. */
  public ChannelCredentials anonymous() {
    try {
      return TlsChannelCredentials.newBuilder().trustManager(ca.caPath().toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path caPath() {
    return ca.caPath();
  }
}
