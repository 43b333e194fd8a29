package flashsale.security;

import flashsale.credentials.ClientChainTrust;
import flashsale.credentials.Role;
import flashsale.credentials.Principal;
import flashsale.credentials.WorkloadId;
import flashsale.credentials.StaticTokens;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns what a caller presents into a {@link Principal}: a bearer token when it sends one (a JWT
 * when configured, else a static token), otherwise its client certificate's workload id. The
 * certificate chain was verified against the trusted CA by TLS at the connection's handshake, and
 * a connection outlives it: at each call a chain with a certificate past its expiry is refused, and
 * with a {@link ClientChainTrust} ({@link #checkingChainsWith}) the chain is checked again once the
 * CA file changed, so a connection made under a CA rotated out gets no more calls in. Only a
 * certificate can make a caller a region or an arbiter: node identity is never a secret that can
 * be pasted.
 */
public final class Authenticator {

  /** The outcome: a caller, nobody (nothing presented), or something presented that does not hold. */
  public sealed interface Result {
    record Authenticated(Principal principal) implements Result {}

    record Anonymous() implements Result {}

    record Invalid(String why) implements Result {}
  }

  /** Why a certificate accepted at its connection's handshake is refused now. */
  public static final String UNTRUSTED_NOW = "the client certificate no longer chains to a CA in the node's --tls-ca "
      + "(the file changed after this connection's handshake): reconnect with a certificate its CAs sign";

  /** Why a certificate accepted at its connection's handshake is refused once a certificate of its chain expired. */
  static String expiredNow(Instant expiredAt) {
    return "the client certificate chain expired at " + expiredAt + " (after this connection's handshake): "
        + "reconnect with a renewed certificate";
  }

  private static final Set<Role> CERTIFICATE_ONLY = EnumSet.of(Role.REGION, Role.ARBITER);

  private final String trustDomain;
  private final Supplier<StaticTokens> tokens; // null: none configured
  private final Supplier<JwtTokens> jwts; // null: none configured
  private final ClientChainTrust chainTrust; // null: the handshake's check only
  private final InstantSource clock; // what "expired" is judged by
  /**
   * Chains found trusted (the whole chain: a leaf may reach a removed CA through one intermediate
   * and not another), with the trust generation they were found at and their path's expiry.
   */
  private final java.util.Map<List<X509Certificate>, Trusted> trusted = new java.util.concurrent.ConcurrentHashMap<>();

  /** A chain found trusted at {@code generation}, by a path that stays valid until {@code until}. */
  private record Trusted(long generation, Instant until) {}
  /** Bounds {@link #trusted}: client certificates are as many as the callers. */
  static final int MAX_REMEMBERED_CHAINS = 10_000;

  /** Callers prove themselves with certificates only: no bearer token is accepted. */
  public static Authenticator certificatesOnly(String trustDomain) {
    return new Authenticator(trustDomain, (Supplier<StaticTokens>) null, null);
  }

  public Authenticator(String trustDomain, StaticTokens tokens, JwtTokens jwts) {
    this(trustDomain, tokens == null ? null : () -> tokens, jwts == null ? null : () -> jwts);
  }

  /** Tokens and keys as their suppliers have them at each call: files re-read while the node runs ({@link ReloadingFile}). */
  public Authenticator(String trustDomain, Supplier<StaticTokens> tokens, Supplier<JwtTokens> jwts) {
    this(trustDomain, tokens, jwts, null);
  }

  private Authenticator(String trustDomain, Supplier<StaticTokens> tokens, Supplier<JwtTokens> jwts,
      ClientChainTrust chainTrust, InstantSource clock) {
    this.trustDomain = trustDomain;
    this.tokens = tokens;
    this.jwts = jwts;
    this.chainTrust = chainTrust;
    this.clock = clock;
  }

  private Authenticator(String trustDomain, Supplier<StaticTokens> tokens, Supplier<JwtTokens> jwts,
      ClientChainTrust chainTrust) {
    this(trustDomain, tokens, jwts, chainTrust, InstantSource.system());
  }

  /** This authenticator, also refusing a certificate whose chain {@code trust} no longer trusts (a CA rotated out). */
  public Authenticator checkingChainsWith(ClientChainTrust trust) {
    return new Authenticator(trustDomain, tokens, jwts, Objects.requireNonNull(trust, "trust"), clock);
  }

  /** This authenticator, judging certificate expiry by {@code clock}. */
  public Authenticator withClock(InstantSource clock) {
    return new Authenticator(trustDomain, tokens, jwts, chainTrust, Objects.requireNonNull(clock, "clock"));
  }

  /**
   * When {@code peerChain} stops counting by expiry: with a {@link ClientChainTrust}, the earliest
   * expiry on the path that makes it trusted now (see {@link ClientChainTrust#trustedUntil}: a
   * certificate sent that no path needs, say an old cross-signature, does not count); otherwise, or
   * when it is not trusted, the earliest of every certificate sent.
   */
  public Instant validUntil(List<X509Certificate> peerChain) {
    if (chainTrust == null || peerChain.isEmpty()) return expiresAt(peerChain);
    Trusted found = trustedNow(peerChain);
    return found == null ? expiresAt(peerChain) : found.until();
  }

  /** When the first certificate of {@code chain} expires; {@link Instant#MAX} for an empty chain. */
  public static Instant expiresAt(List<X509Certificate> chain) {
    Instant first = Instant.MAX;
    for (X509Certificate certificate : chain) {
      Instant notAfter = certificate.getNotAfter().toInstant();
      if (notAfter.isBefore(first)) first = notAfter;
    }
    return first;
  }

  /** True once {@code expiresAt} (from {@link #expiresAt}) is past by this authenticator's clock. */
  public boolean expired(Instant expiresAt) {
    return clock.instant().isAfter(expiresAt);
  }

  /** Changes whenever the trusted CAs may have: a long-lived stream checks {@link #refusalOf} again then. */
  public long trustGeneration() {
    return chainTrust == null ? 0 : chainTrust.generation();
  }

  /**
   * Why {@code peerChain}, accepted at its connection's handshake, counts no more: a certificate of
   * it expired since, or it no longer chains to a trusted CA (the CA file changed since). Empty when
   * it still counts, or without a chain.
   */
  public Optional<String> refusalOf(List<X509Certificate> peerChain) {
    if (peerChain.isEmpty()) return Optional.empty();
    if (chainTrust == null) {
      Instant expiresAt = expiresAt(peerChain);
      return expired(expiresAt) ? Optional.of(expiredNow(expiresAt)) : Optional.empty();
    }
    Trusted found = trustedNow(peerChain);
    if (found != null) return Optional.empty();
    // Not trusted now: an expired certificate sent is the likelier cause, and the clearer answer.
    Instant sentExpiry = expiresAt(peerChain);
    return Optional.of(expired(sentExpiry) ? expiredNow(sentExpiry) : UNTRUSTED_NOW);
  }

  /**
   * {@code peerChain}'s path, when it chains to a CA trusted now and that path has not expired;
   * null otherwise. Remembered per trust generation until the path expires, when another path
   * (one through a renewed intermediate) is looked for.
   */
  private Trusted trustedNow(List<X509Certificate> peerChain) {
    long generation = chainTrust.generation();
    Trusted seen = trusted.get(peerChain);
    if (seen != null && seen.generation() == generation && !expired(seen.until())) return seen;
    Optional<Instant> until = chainTrust.trustedUntil(peerChain);
    if (until.isEmpty() || expired(until.get())) return null;
    if (trusted.size() >= MAX_REMEMBERED_CHAINS) trusted.clear();
    Trusted found = new Trusted(generation, until.get());
    trusted.put(List.copyOf(peerChain), found);
    return found;
  }

  /**
   * @param peerChain the verified client certificate chain, leaf first; empty without one
   * @param bearer the token from {@code authorization: Bearer <token>}, if sent
   */
  public Result authenticate(List<X509Certificate> peerChain, Optional<String> bearer) {
    if (bearer.isPresent()) return token(bearer.get());
    if (peerChain.isEmpty()) return new Result.Anonymous();
    Optional<String> refusal = refusalOf(peerChain);
    if (refusal.isPresent()) return new Result.Invalid(refusal.get());
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
