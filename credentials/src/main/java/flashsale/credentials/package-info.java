/**
 * What a caller proves itself with, shared by the nodes and every client (the CLI carries this and
 * no server): workload identities (SPIFFE-style URI SANs {@code spiffe://<trust-domain>/<role>/<name>})
 * and their roles, bearer tokens (the header, static token files), the TLS credentials read (and
 * reloaded) from PEM files, and {@link flashsale.credentials.DevCertificates}, a throw-away CA for
 * development and tests.
 */
package flashsale.credentials;
