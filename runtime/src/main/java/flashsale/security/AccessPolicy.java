package flashsale.security;

import flashsale.credentials.Role;
import flashsale.credentials.Principal;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The roles each gRPC method needs, by full method name ({@code package.Service/Method}) or by
 * service ({@code package.Service/}). A method named nowhere is denied to everyone: a new RPC is
 * closed until someone decides who may call it.
 */
public final class AccessPolicy {

  /** What a method needs: nothing ({@code open}), or one of {@code roles}. */
  public record Rule(boolean open, Set<Role> roles) {
    static final Rule DENY = new Rule(false, Set.of());

    public boolean admits(Principal principal) {
      return open || principal.development() || roles.stream().anyMatch(principal::has);
    }
  }

  private final Map<String, Rule> byMethod;
  private final Map<String, Rule> byService;

  private AccessPolicy(Map<String, Rule> byMethod, Map<String, Rule> byService) {
    this.byMethod = Map.copyOf(byMethod);
    this.byService = Map.copyOf(byService);
  }

  public Rule rule(String fullMethodName) {
    Rule exact = byMethod.get(fullMethodName);
    if (exact != null) return exact;
    int slash = fullMethodName.indexOf('/');
    Rule service = slash < 0 ? null : byService.get(fullMethodName.substring(0, slash));
    return service != null ? service : Rule.DENY;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private final Map<String, Rule> byMethod = new LinkedHashMap<>();
    private final Map<String, Rule> byService = new LinkedHashMap<>();

    /** Every method of {@code service} (e.g. {@code grpc.health.v1.Health}) is open to anyone. */
    public Builder openService(String service) {
      byService.put(service, new Rule(true, Set.of()));
      return this;
    }

    /** Every method of {@code service} needs one of {@code roles}. */
    public Builder service(String service, Role first, Role... more) {
      byService.put(service, new Rule(false, EnumSet.of(first, more)));
      return this;
    }

    /** {@code fullMethodName} needs one of {@code roles}; overrides its service's rule. */
    public Builder method(String fullMethodName, Role first, Role... more) {
      byMethod.put(fullMethodName, new Rule(false, EnumSet.of(first, more)));
      return this;
    }

    public AccessPolicy build() {
      return new AccessPolicy(byMethod, byService);
    }
  }
}
