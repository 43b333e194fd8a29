package flashsale.security;

import flashsale.credentials.Role;
import flashsale.credentials.Principal;
import flashsale.credentials.WorkloadId;
import flashsale.credentials.StaticTokens;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns what a caller presents into a {@link Principal}: a bearer token when it sends one (a JWT
 * when configured, else a static token), otherwise its client certificate's workload id. The
 * certificate chain has already been verified against the trusted CA by TLS. Only a certificate
 * can make a caller a region or an arbiter: node identity is never a secret that can be pasted.
 */
public final class Authenticator {

  /** The outcome: a caller, nobody (nothing presented), or something presented that does not hold. */
  public sealed interface Result {
    record Authenticated(Principal principal) implements Result {}

    record Anonymous() implements Result {}

    record Invalid(String why) implements Result {}
  }

  private static final Set<Role> CERTIFICATE_ONLY = EnumSet.of(Role.REGION, Role.ARBITER);

  private final String trustDomain;
  private final Supplier<StaticTokens> tokens; // null: none configured
  private final Supplier<JwtTokens> jwts; // null: none configured

  /** Callers prove themselves with certificates only: no bearer token is accepted. */
  public static Authenticator certificatesOnly(String trustDomain) {
    return new Authenticator(trustDomain, (Supplier<StaticTokens>) null, null);
  }

  public Authenticator(String trustDomain, StaticTokens tokens, JwtTokens jwts) {
    this(trustDomain, tokens == null ? null : () -> tokens, jwts == null ? null : () -> jwts);
  }

  /** Tokens and keys as their suppliers have them at each call: files re-read while the node runs ({@link ReloadingFile}). */
  public Authenticator(String trustDomain, Supplier<StaticTokens> tokens, Supplier<JwtTokens> jwts) {
    this.trustDomain = trustDomain;
    this.tokens = tokens;
    this.jwts = jwts;
  }

  /**
   * @param peerChain the verified client certificate chain, leaf first; empty without one
   * @param bearer the token from {@code authorization: Bearer <token>}, if sent
   */
  public Result authenticate(List<X509Certificate> peerChain, Optional<String> bearer) {
    if (bearer.isPresent()) return token(bearer.get());
    if (peerChain.isEmpty()) return new Result.Anonymous();
    return WorkloadId.in(peerChain.get(0), trustDomain)
        .<Result>map(id -> new Result.Authenticated(new Principal(id.name(), Set.of(id.role()), "certificate")))
        .orElseGet(() -> new Result.Invalid("the client certificate carries no spiffe://" + trustDomain + "/<role>/<name> URI"));
  }

  /** How many of its credential files hold a change that was not taken (see {@link ReloadingFile#stale}). */
  public int staleCredentialFiles() {
    int stale = 0;
    for (Supplier<?> file : java.util.Arrays.asList(tokens, jwts)) {
      if (file instanceof ReloadingFile<?> reloading && reloading.stale()) stale++;
    }
    return stale;
  }

  private Result token(String token) {
    Optional<Principal> found = Optional.empty();
    if (jwts != null && JwtTokens.looksLikeJwt(token)) {
      found = jwts.get().verify(token);
    } else if (tokens != null) {
      found = tokens.get().lookUp(token);
    }
    return found
        .map(p -> new Principal(p.name(), withoutCertificateOnlyRoles(p.roles()), p.via()))
        .<Result>map(Result.Authenticated::new)
        .orElseGet(() -> new Result.Invalid("the bearer token is not valid here"));
  }

  private static Set<Role> withoutCertificateOnlyRoles(Set<Role> roles) {
    Set<Role> kept = roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles);
    kept.removeAll(CERTIFICATE_ONLY);
    return kept;
  }

}
