package flashsale.credentials;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A workload's identity as it sits in a certificate's URI SAN, in the SPIFFE ID shape:
 * {@code spiffe://<trust-domain>/<role>/<name>}, e.g. {@code spiffe://flashsale/region/eu-west}.
 */
public record WorkloadId(String trustDomain, Role role, String name) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  public WorkloadId {
    if (!NAME.matcher(trustDomain).matches()) throw new IllegalArgumentException("bad trust domain '" + trustDomain + "'");
    if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("bad workload name '" + name + "'");
  }

  public String uri() {
    return "spiffe://" + trustDomain + "/" + role.label() + "/" + name;
  }

  /** The id in {@code uri} if it is one of {@code trustDomain}'s; empty for anything else. */
  public static Optional<WorkloadId> parse(String uri, String trustDomain) {
    try {
      URI parsed = new URI(uri);
      if (!"spiffe".equals(parsed.getScheme()) || !trustDomain.equals(parsed.getHost())) return Optional.empty();
      if (parsed.getQuery() != null || parsed.getFragment() != null || parsed.getPath() == null) return Optional.empty();
      String[] parts = parsed.getPath().split("/", -1);
      if (parts.length != 3 || !parts[0].isEmpty()) return Optional.empty();
      Optional<Role> role = Role.fromLabel(parts[1]);
      if (role.isEmpty() || !NAME.matcher(parts[2]).matches()) return Optional.empty();
      return Optional.of(new WorkloadId(trustDomain, role.get(), parts[2]));
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  /** The first URI SAN of {@code certificate} that is a workload id of {@code trustDomain}. */
  public static Optional<WorkloadId> in(java.security.cert.X509Certificate certificate, String trustDomain) {
    for (String uri : uris(certificate)) {
      Optional<WorkloadId> id = parse(uri, trustDomain);
      if (id.isPresent()) return id;
    }
    return Optional.empty();
  }

  /** The first workload id of {@code certificate}, of whatever trust domain. */
  public static Optional<WorkloadId> in(java.security.cert.X509Certificate certificate) {
    for (String uri : uris(certificate)) {
      try {
        String host = new URI(uri).getHost();
        if (host == null || !NAME.matcher(host).matches()) continue;
        Optional<WorkloadId> id = parse(uri, host);
        if (id.isPresent()) return id;
      } catch (URISyntaxException e) {
        // not a workload id
      }
    }
    return Optional.empty();
  }

  private static java.util.List<String> uris(java.security.cert.X509Certificate certificate) {
    try {
      var names = certificate.getSubjectAlternativeNames();
      if (names == null) return java.util.List.of();
      java.util.List<String> uris = new java.util.ArrayList<>();
      for (java.util.List<?> name : names) {
        if (Integer.valueOf(6).equals(name.get(0))) uris.add(String.valueOf(name.get(1))); // 6: uniformResourceIdentifier
      }
      return uris;
    } catch (java.security.cert.CertificateParsingException e) {
      return java.util.List.of();
    }
  }

  @Override
  public String toString() {
    return uri();
  }
}
