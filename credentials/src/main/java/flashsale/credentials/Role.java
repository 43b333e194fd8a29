package flashsale.credentials;

import java.util.Locale;
import java.util.Optional;

/** What a caller is allowed to do; one identity may hold several. */
public enum Role {
  /** Creates and reads events. */
  ADMIN,
  /** Reads events, decisions and region state; changes nothing. */
  AUDITOR,
  /** The order service: payment and cancellation calls. */
  ORDER,
  /** A region node: the internal sequencer and shard services, under its own region name. */
  REGION,
  /** An arbiter node (its server certificate; arbiters do not call each other yet). */
  ARBITER;

  /** The lower-case name used in certificates, token files and JWT claims. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromLabel(String label) {
    for (Role role : values()) {
      if (role.label().equals(label)) return Optional.of(role);
    }
    return Optional.empty();
  }
}
