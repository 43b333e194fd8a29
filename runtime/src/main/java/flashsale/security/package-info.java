/**
 * The server's side of who may call what: the roles each gRPC method needs ({@link
 * flashsale.security.AccessPolicy}), how a caller is recognised (client certificate, static token,
 * or a JWT verified against a JWK set) and the one server interceptor that checks it. The
 * identities, tokens and TLS files clients share are in {@code flashsale.credentials}.
 */
package flashsale.security;
