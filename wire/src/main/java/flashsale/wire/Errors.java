package flashsale.wire;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import flashsale.sale.ErrorReason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Builds gRPC errors that carry a {@code google.rpc.ErrorInfo}, and reads the reason back. */
public final class Errors {
  public static final String DOMAIN = "flashsale.dev";

  private Errors() {}

  public static StatusRuntimeException error(ErrorReason reason, String description) {
    return error(reason, description, Map.of());
  }

  public static StatusRuntimeException error(
      ErrorReason reason, String description, Map<String, String> metadata) {
    return answer(new AnswerKey(reason, description, metadata, null));
  }

  /** As above, with a {@code google.rpc.RetryInfo} saying how long to wait before retrying. */
  public static StatusRuntimeException error(
      ErrorReason reason, String description, Map<String, String> metadata, Duration retryDelay) {
    return answer(new AnswerKey(reason, description, metadata, retryDelay));
  }

  /**
   * Where gRPC carries a {@code google.rpc.Status} in the trailers, as {@link StatusProto} reads it;
   * put here already encoded ({@link #ENCODED}).
   */
  private static final Metadata.Key<byte[]> STATUS_DETAILS =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);
  /**
   * Answers already encoded, by what they say. A rate-limited user is told the same few things
   * thousands of times a second (the wait differs by a millisecond at most 1,000 ways): building
   * each one's ErrorInfo, RetryInfo and status bytes anew was about a tenth of the decoding
   * threads' samples of refusals in JFR (part of it JFR's own exception tracing); kept, the CPU per
   * refused call fell a few per cent ({@code flashsale bench-abuser}, 2026-12-05). Emptied when
   * full: answers naming one request each only pass through.
   */
  private static final int ENCODED_MAX = 1_024;
  private static final Map<AnswerKey, Encoded> ENCODED = new ConcurrentHashMap<>();

  /**
   * The most characters of a description, and of each metadata value, an answer carries. Its
   * trailers hold the description twice (grpc-message and the encoded details): past 8 KiB, grpc-java's and
   * grpc-js's default limit, the caller gets a transport error without the reason. A description
   * naming a caller's own oversized value (a 900 KB currency code) is cut to this.
   */
  static final int MAX_ECHO_CHARS = 1_024;
  /** Answers longer than this are encoded each time, not kept: a kept answer would pin a caller's bytes. */
  private static final int MAX_KEPT_CHARS = 512;

  private record AnswerKey(ErrorReason reason, String description, Map<String, String> metadata, Duration retryDelay) {
    AnswerKey {
      description = cut(description);
      // Copied as is in the common case (Map.of's are kept): a refusal under abuse pays no more.
      boolean anyLong = false;
      for (String v : metadata.values()) anyLong |= v != null && v.length() > MAX_ECHO_CHARS;
      if (anyLong) {
        Map<String, String> cutValues = new java.util.LinkedHashMap<>();
        metadata.forEach((k, v) -> cutValues.put(k, cut(v)));
        metadata = cutValues;
      }
      metadata = Map.copyOf(metadata); // a key must not change under the map
    }

    int chars() {
      int chars = description.length();
      for (var e : metadata.entrySet()) chars += e.getKey().length() + e.getValue().length();
      return chars;
    }
  }

  /** {@code s}, or its first {@link #MAX_ECHO_CHARS} characters and how many more there were. */
  static String cut(String s) {
    if (s == null || s.length() <= MAX_ECHO_CHARS) return s;
    return s.substring(0, MAX_ECHO_CHARS) + "... (" + (s.length() - MAX_ECHO_CHARS) + " more characters)";
  }

  /** An answer's status (immutable) and its serialized {@code google.rpc.Status}, never changed once made. */
  private record Encoded(Status status, byte[] details) {}

  /**
   * The answer's exception, without a stack trace: these exceptions are answers sent to callers (a
   * refused purchase, a rate limit), made thousands of times a second under abuse, and the stack of
   * the line that built one tells nobody anything. Each gets trailers of its own (gRPC adds to them).
   */
  private static StatusRuntimeException answer(AnswerKey key) {
    Encoded encoded = ENCODED.get(key);
    if (encoded == null) {
      encoded = encode(key);
      if (key.chars() <= MAX_KEPT_CHARS) {
        if (ENCODED.size() >= ENCODED_MAX) ENCODED.clear();
        ENCODED.put(key, encoded);
      }
    }
    Metadata trailers = new Metadata();
    trailers.put(STATUS_DETAILS, encoded.details());
    return new Answer(encoded.status(), trailers);
  }

  /** Encoded answers held now (tests). */
  static int encodedHeld() {
    return ENCODED.size();
  }

  private static Encoded encode(AnswerKey key) {
    ErrorInfo info = ErrorInfo.newBuilder().setReason(key.reason().name()).setDomain(DOMAIN)
        .putAllMetadata(key.metadata()).build();
    com.google.rpc.Status.Builder proto = com.google.rpc.Status.newBuilder()
        .setCode(codeOf(key.reason()).value())
        .setMessage(key.description())
        .addDetails(Any.pack(info));
    if (key.retryDelay() != null) {
      proto.addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
          .setSeconds(key.retryDelay().getSeconds()).setNanos(key.retryDelay().getNano())).build()));
    }
    return new Encoded(Status.fromCodeValue(proto.getCode()).withDescription(key.description()),
        proto.build().toByteArray());
  }

  private static final class Answer extends StatusRuntimeException {
    private static final long serialVersionUID = 1L;

    Answer(Status status, Metadata trailers) {
      super(status, trailers);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** The gRPC code a reason travels under. */
  public static Status.Code codeOf(ErrorReason reason) {
    return switch (reason) {
      case INVALID_FIELD, MALFORMED_MESSAGE -> Status.Code.INVALID_ARGUMENT;
      case EVENT_NOT_FOUND, PURCHASE_NOT_FOUND -> Status.Code.NOT_FOUND;
      case EVENT_NOT_STARTED, EVENT_ENDED, REGION_NOT_IN_EVENT, MODE_NOT_SUPPORTED, WRONG_EVENT_KIND, PROTOCOL_VIOLATION,
          HOME_REGION_ELSEWHERE, NO_PAYMENT_WINDOW, NOT_A_WIN, PAYMENT_EXPIRED, PURCHASE_CANCELLED, ALREADY_PAID,
          PURCHASE_PENDING ->
          Status.Code.FAILED_PRECONDITION;
      case EVENT_EXISTS, REQUEST_ID_REUSED -> Status.Code.ALREADY_EXISTS;
      case TOO_MANY_PENDING, RATE_LIMITED, TOO_MANY_PENDING_FOR_USER -> Status.Code.RESOURCE_EXHAUSTED;
      case CLOCK_SKEW, ARBITER_UNAVAILABLE, NOT_LEADER, STORE_UNAVAILABLE, STOCK_IN_TRANSIT, SHUTTING_DOWN ->
          Status.Code.UNAVAILABLE;
      case CREDENTIALS_MISSING, CREDENTIALS_INVALID -> Status.Code.UNAUTHENTICATED;
      case ROLE_REQUIRED, IDENTITY_MISMATCH -> Status.Code.PERMISSION_DENIED;
      case POOL_LOST -> Status.Code.DATA_LOSS;
      case REQUEST_INCOMPLETE -> Status.Code.DEADLINE_EXCEEDED;
    };
  }

  /** The server's RetryInfo delay of a failed call, if it sent one. */
  public static Optional<Duration> retryDelayOf(Throwable t) {
    return detailOf(t, RetryInfo.class).map(r -> Duration.ofSeconds(r.getRetryDelay().getSeconds(), r.getRetryDelay().getNanos()));
  }

  /** The ErrorInfo reason of a failed call, if the server sent one. */
  public static Optional<String> reasonOf(Throwable t) {
    return infoOf(t).map(ErrorInfo::getReason);
  }

  /** The ErrorInfo of a failed call, if the server sent one. */
  public static Optional<ErrorInfo> infoOf(Throwable t) {
    return detailOf(t, ErrorInfo.class);
  }

  private static <T extends com.google.protobuf.Message> Optional<T> detailOf(Throwable t, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) return Optional.empty();
    for (Any detail : status.getDetailsList()) {
      if (detail.is(type)) {
        try {
          return Optional.of(detail.unpack(type));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
