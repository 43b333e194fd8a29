package flashsale.client;

import flashsale.wire.Errors;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A call that a flash-sale server (or the transport to it) failed: the gRPC status code, the
 * server's description and, when the server sent one, the {@code google.rpc.ErrorInfo} reason such
 * as {@code EVENT_NOT_FOUND}.
 */
public final class FlashSaleException extends RuntimeException {
  private final Status.Code code;
  private final String reason;
  private final String description;
  private final Map<String, String> metadata;
  private final String requestId;
  /** The server's {@code google.rpc.RetryInfo} delay; null when it sent none. */
  private final Duration retryDelay;

  /**
   * @param code the gRPC status code
   * @param reason the ErrorInfo reason, or empty when the server sent none
   * @param description the server's description, or empty
   * @param cause the original exception, may be null
   */
  public FlashSaleException(Status.Code code, String reason, String description, Throwable cause) {
    this(code, reason, description, Map.of(), cause);
  }

  /** As above, with the ErrorInfo's metadata (e.g. {@code leader} of a NOT_LEADER answer). */
  public FlashSaleException(Status.Code code, String reason, String description, Map<String, String> metadata,
      Throwable cause) {
    this(code, reason, description, metadata, null, cause);
  }

  /** As above, with the delay after which the server said a retry may succeed (null: none said). */
  public FlashSaleException(Status.Code code, String reason, String description, Map<String, String> metadata,
      Duration retryDelay, Throwable cause) {
    this(code, reason, description, metadata, "", retryDelay, cause);
  }

  private FlashSaleException(Status.Code code, String reason, String description, Map<String, String> metadata,
      String requestId, Duration retryDelay, Throwable cause) {
    super(code + (reason.isEmpty() ? "" : " " + reason) + ": " + description, cause);
    this.code = code;
    this.reason = reason;
    this.description = description;
    this.metadata = Map.copyOf(metadata);
    this.requestId = requestId;
    this.retryDelay = retryDelay;
  }

  /**
   * This failure as the failure of the purchase, bid or event creation {@code requestId}: a copy (stack trace and
   * suppressed ones included), since one failure may be shared by several purchases.
   */
  FlashSaleException forRequest(String requestId) {
    FlashSaleException copy = new FlashSaleException(code, reason, description, metadata, requestId, retryDelay, getCause());
    copy.setStackTrace(getStackTrace());
    for (Throwable suppressed : getSuppressed()) copy.addSuppressed(suppressed);
    return copy;
  }

  /**
   * Translates any failure of a call (a {@code StatusRuntimeException}, possibly wrapped by a
   * future) into a {@code FlashSaleException}. Non-gRPC failures become {@code UNKNOWN}.
   */
  public static FlashSaleException from(Throwable failure) {
    Throwable t = failure;
    // Futures wrap the real failure; the status lives on the innermost one.
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof FlashSaleException already) {
      return already;
    }
    Status status = Status.fromThrowable(t);
    String description = status.getDescription() == null ? "" : status.getDescription();
    // Transport failures say only "io exception"; the local cause says what actually went wrong.
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null) {
      description = description.isEmpty() ? cause.getMessage() : description + ": " + cause.getMessage();
    }
    // A failed TLS handshake says "Channel Pipeline: [...]: General OpenSslEngine problem"; the
    // certificate check that failed says why, deeper in the chain.
    Throwable certificate = cause;
    while (certificate != null && !(certificate instanceof java.security.cert.CertificateException)) {
      certificate = certificate.getCause() == certificate ? null : certificate.getCause();
    }
    if (certificate != null && certificate.getMessage() != null) {
      description = "TLS handshake refused the server's certificate: " + certificate.getMessage();
    }
    Map<String, String> metadata = Errors.infoOf(t).map(info -> info.getMetadataMap()).orElse(Map.of());
    return new FlashSaleException(status.getCode(), Errors.reasonOf(t).orElse(""), description, metadata,
        Errors.retryDelayOf(t).orElse(null), t);
  }

  /** The gRPC status code of the failed call. */
  public Status.Code code() {
    return code;
  }

  /** The ErrorInfo reason, e.g. {@code EVENT_NOT_FOUND}, if the server sent one. */
  public Optional<String> reason() {
    return reason.isEmpty() ? Optional.empty() : Optional.of(reason);
  }

  /** An ErrorInfo metadata entry, e.g. {@code leader} ({@code host:port}) of a NOT_LEADER answer. */
  public Optional<String> metadata(String key) {
    return Optional.ofNullable(metadata.get(key)).filter(v -> !v.isBlank());
  }

  /**
   * The request id of the purchase, bid or event creation that failed (set by {@link
   * FlashSaleClient}'s purchase, reservation and bid calls and by {@link EventAdminClient}'s
   * createEvent). After {@code DEADLINE_EXCEEDED} or {@code UNAVAILABLE} its outcome is unknown:
   * retry with this id, which returns the first answer, never a second buy or event.
   */
  public Optional<String> requestId() {
    return requestId.isEmpty() ? Optional.empty() : Optional.of(requestId);
  }

  /**
   * How long the server asked to wait before a retry ({@code google.rpc.RetryInfo}, or a stream
   * answer's {@code retry_delay}): a rate limit ({@code RATE_LIMITED}) or a full queue says when
   * its retry may pass. Empty when the server said nothing.
   */
  public Optional<Duration> retryDelay() {
    return Optional.ofNullable(retryDelay);
  }

  /** The server's human-readable description (may be empty). */
  public String description() {
    return description;
  }
}
