package flashsale.security;

import flashsale.credentials.Role;
import flashsale.credentials.Principal;
import flashsale.credentials.BearerTokens;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one check at the door of a node: authenticates each call ({@link Authenticator}), checks the
 * method's roles ({@link AccessPolicy}) and hands the {@link Principal} to the service in {@link
 * #PRINCIPAL}. Refusals are {@code UNAUTHENTICATED} (nothing or nothing valid presented) or {@code
 * PERMISSION_DENIED} (a known caller without the role), each with an ErrorInfo reason. Without an
 * authenticator (a node run with {@code --insecure}) every caller is {@link Principal#DEVELOPMENT}.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuthInterceptor.class);
  public static final Context.Key<Principal> PRINCIPAL = Context.key("flashsale-principal");
  /** The caller's client certificate chain, leaf first (empty without one), beside {@link #PRINCIPAL}. */
  private static final Context.Key<List<X509Certificate>> PEER_CHAIN = Context.key("flashsale-peer-chain");
  private static final String BEARER = "bearer ";

  private final AccessPolicy policy;
  private final Authenticator authenticator; // null: development, everyone holds every role

  private AuthInterceptor(AccessPolicy policy, Authenticator authenticator) {
    this.policy = policy;
    this.authenticator = authenticator;
  }

  public static AuthInterceptor enforcing(AccessPolicy policy, Authenticator authenticator) {
    return new AuthInterceptor(policy, java.util.Objects.requireNonNull(authenticator, "authenticator"));
  }

  /** Development only: every caller holds every role. */
  public static AuthInterceptor development(AccessPolicy policy) {
    return new AuthInterceptor(policy, null);
  }

  public boolean enforcing() {
    return authenticator != null;
  }

  /**
   * The caller of the current call, as this interceptor admitted it; {@link Principal#NOBODY} on a
   * call it did not admit (a service wired without it, or an open method), so a missing check fails
   * closed.
   */
  public static Principal current() {
    Principal principal = PRINCIPAL.get();
    return principal != null ? principal : Principal.NOBODY;
  }

  /**
   * The current call's client certificate chain as this interceptor saw it; empty without one or
   * on a call it did not admit. A long-lived stream keeps it to ask {@link Authenticator#refusalOf}
   * again after the CAs change or a certificate of it expires.
   */
  public static List<X509Certificate> currentPeerChain() {
    List<X509Certificate> chain = PEER_CHAIN.get();
    return chain != null ? chain : List.of();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    AccessPolicy.Rule rule = policy.rule(method);
    if (authenticator == null) return withPrincipal(Principal.DEVELOPMENT, List.of(), call, headers, next);
    List<X509Certificate> chain = peerChain(call);
    Authenticator.Result result = authenticator.authenticate(chain, bearer(headers));
    if (result instanceof Authenticator.Result.Authenticated authenticated) {
      Principal principal = authenticated.principal();
      if (rule.admits(principal)) return withPrincipal(principal, chain, call, headers, next);
      return refuse(call, Errors.error(ErrorReason.ROLE_REQUIRED,
          method + " needs the role " + labels(rule) + "; " + principal.name() + " (" + principal.via() + ") holds "
              + principal.roles().stream().map(Role::label).sorted().toList(),
          Map.of("required", labels(rule))));
    }
    if (rule.open()) return next.startCall(call, headers);
    if (result instanceof Authenticator.Result.Invalid invalid) {
      return refuse(call, Errors.error(ErrorReason.CREDENTIALS_INVALID, invalid.why()));
    }
    return refuse(call, Errors.error(ErrorReason.CREDENTIALS_MISSING, method
        + " needs a client certificate or an 'authorization: Bearer <token>' header with the role " + labels(rule)));
  }

  private static String labels(AccessPolicy.Rule rule) {
    return rule.roles().stream().map(Role::label).sorted().collect(Collectors.joining(" or "));
  }

  private static <Q, R> ServerCall.Listener<Q> withPrincipal(Principal principal, List<X509Certificate> chain,
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return Contexts.interceptCall(Context.current().withValues(PRINCIPAL, principal, PEER_CHAIN, chain), call, headers,
        next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, StatusRuntimeException refusal) {
    log.debug("refused {} from {}: {}", call.getMethodDescriptor().getFullMethodName(),
        call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), refusal.getStatus());
    Metadata trailers = refusal.getTrailers();
    call.close(refusal.getStatus(), trailers != null ? trailers : new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private static Optional<String> bearer(Metadata headers) {
    String value = headers.get(BearerTokens.AUTHORIZATION);
    if (value == null || value.length() <= BEARER.length()
        || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Optional.empty();
    }
    return Optional.of(value.substring(BEARER.length()).strip());
  }

  private static List<X509Certificate> peerChain(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) return List.of();
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : session.getPeerCertificates()) {
        if (c instanceof X509Certificate x509) chain.add(x509);
      }
      return chain;
    } catch (SSLPeerUnverifiedException e) {
      return List.of(); // the client sent no certificate
    }
  }
}
