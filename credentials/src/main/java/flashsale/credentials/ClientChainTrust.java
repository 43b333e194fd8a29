package flashsale.credentials;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Whether a client's certificate chain chains to the CAs trusted now. TLS checks a chain once, at
 * the handshake; the CA file may change while the connection lives on (a CA rotated out because a
 * key leaked), and a node asks this to stop trusting what it no longer would.
 */
public interface ClientChainTrust {
  /** Changes whenever the trusted CAs may have: a chain trusted at one generation need not be at the next. */
  long generation();

  /** True when {@code chain} (leaf first) chains to a CA trusted now. */
  boolean trusts(List<X509Certificate> chain);

  /**
   * When {@code chain} (leaf first) stops being trusted by expiry: the earliest expiry on the path
   * that makes it trusted now, the leaf's included and the trusted CA's not (TLS does not check a
   * trust anchor's either). A certificate the client sent that no path needs (an old
   * cross-signature) does not count. Empty when it is not trusted now.
   */
  Optional<Instant> trustedUntil(List<X509Certificate> chain);
}
