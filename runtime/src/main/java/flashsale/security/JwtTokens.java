package flashsale.security;

import flashsale.credentials.Role;
import flashsale.credentials.Principal;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * JWT bearer tokens verified against a JWK set file (the public keys of the issuer, or a shared
 * {@code oct} key for HS256): signature, {@code exp} (required), {@code iss} and {@code aud} when
 * configured. The caller's name is {@code sub}; its roles the string array claim {@code roles}.
 */
public final class JwtTokens {
  /** Nimbus verifies EdDSA only with Google Tink on the class path, which this build leaves out. */
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256,
      JWSAlgorithm.PS256, JWSAlgorithm.HS256);
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JwtTokens.class);

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  /**
   * @param issuer the required {@code iss}, or null to accept any
   * @param audience the required {@code aud}, or null to accept any
   */
  public JwtTokens(JWKSet keys, String issuer, String audience) {
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, new ImmutableJWKSet<>(keys)));
    JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
    if (issuer != null) exact.issuer(issuer);
    processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience == null ? null : Set.of(audience),
        exact.build(), Set.of("sub", "exp", "roles"), null));
  }

  /** The keys of a JWK set file, from its {@code content} as one read found it. */
  public static JwtTokens parse(Path jwksFile, byte[] content, String issuer, String audience) throws IOException {
    try {
      JWKSet keys = JWKSet.parse(new String(content, java.nio.charset.StandardCharsets.UTF_8));
      for (var key : keys.getKeys()) {
        if (key instanceof com.nimbusds.jose.jwk.OctetKeyPair) {
          // Said once per load, not per refused token: every token it signs will be refused.
          log.warn("jwks={} kid={} ignored: EdDSA (OKP) keys are not supported; sign with RS256, ES256, PS256 or HS256",
              jwksFile, key.getKeyID());
        }
      }
      return new JwtTokens(keys, issuer, audience);
    } catch (ParseException e) {
      throw new IOException(jwksFile + " is not a JWK set: " + e.getMessage(), e);
    }
  }

  /** The caller a valid token names; empty when the token is not valid (the reason is not told to the caller). */
  public Optional<Principal> verify(String token) {
    try {
      JWTClaimsSet claims = processor.process(token, null);
      List<String> labels = claims.getStringListClaim("roles");
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String label : labels == null ? List.<String>of() : labels) Role.fromLabel(label).ifPresent(roles::add);
      return Optional.of(new Principal(claims.getSubject(), new HashSet<>(roles), "jwt"));
    } catch (ParseException | com.nimbusds.jose.proc.BadJOSEException | com.nimbusds.jose.JOSEException e) {
      return Optional.empty();
    }
  }

  /** True when {@code token} has the shape of a JWT (three dot-separated parts). */
  static boolean looksLikeJwt(String token) {
    return token.chars().filter(c -> c == '.').count() == 2;
  }
}
