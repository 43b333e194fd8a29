/**
 * Who may call what: workload identities read from client certificates (SPIFFE-style URI SANs
 * {@code spiffe://<trust-domain>/<role>/<name>}) or bearer tokens (static tokens from a file, or
 * JWTs verified against a JWK set), the roles each gRPC method needs ({@link
 * flashsale.security.AccessPolicy}), the one server interceptor that checks them, and the TLS
 * credentials (reloaded from their files) both nodes and the CLI build their servers and channels
 * with. {@link flashsale.security.DevCertificates} issues a throw-away CA for development and tests.
 */
package flashsale.security;
