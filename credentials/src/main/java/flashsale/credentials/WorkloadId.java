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

  @Override
  public String toString() {
    return uri();
  }
}
