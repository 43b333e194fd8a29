package flashsale.credentials;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * An authenticated caller.
 *
 * @param name the identity's name within its role ({@code near} for region near, {@code ops} for an admin)
 * @param roles what it may do
 * @param via how it proved itself: {@code certificate}, {@code token}, {@code jwt}, or {@code development}
 *     (a node run with {@code --insecure}, where every caller holds every role)
 */
public record Principal(String name, Set<Role> roles, String via) {
  public Principal {
    Objects.requireNonNull(name, "name");
    roles = Set.copyOf(roles);
    Objects.requireNonNull(via, "via");
  }

  /** Every caller of a node run without security (development only). */
  public static final Principal DEVELOPMENT = new Principal("anonymous", EnumSet.allOf(Role.class), "development");

  /** A call no interceptor admitted: it holds no role (fail closed). */
  public static final Principal NOBODY = new Principal("nobody", Set.of(), "none");

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** True when this caller proved it is the region {@code region}, or security is off. */
  public boolean isRegion(String region) {
    return this == DEVELOPMENT || (has(Role.REGION) && name.equals(region));
  }

  public boolean development() {
    return this == DEVELOPMENT;
  }
}
