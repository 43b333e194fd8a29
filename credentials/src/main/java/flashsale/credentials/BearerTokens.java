package flashsale.credentials;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/** A client's side of bearer tokens: the {@code authorization: Bearer <token>} header the nodes' auth interceptor reads. */
public final class BearerTokens {
  /** The header a token travels in, {@code Bearer <token>}. */
  public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private BearerTokens() {}

  /** The header carrying {@code token}. */
  public static Metadata headers(String token) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return headers;
  }

  /**
   * Per-call credentials sending {@code token}, over TLS only (or in-process, which gRPC counts as private): on a plaintext
   * channel the call fails UNAUTHENTICATED without sending it. gRPC leaves that check to the
   * credentials; a token on plaintext would be readable by anyone on the path.
   */
  public static CallCredentials credentials(String token) {
    Metadata headers = headers(token);
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        if (info.getSecurityLevel() != io.grpc.SecurityLevel.PRIVACY_AND_INTEGRITY) {
          applier.fail(io.grpc.Status.UNAUTHENTICATED.withDescription(
              "a bearer token is sent only over TLS; this channel is " + info.getSecurityLevel()));
          return;
        }
        applier.apply(headers);
      }
    };
  }
}
