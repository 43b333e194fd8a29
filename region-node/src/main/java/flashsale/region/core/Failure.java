package flashsale.region.core;

import flashsale.sale.ErrorReason;
import java.util.Map;
import java.util.Objects;

/**
 * Why a call fails, in a form the adapters turn into a gRPC status with an ErrorInfo (the core
 * itself never builds gRPC objects).
 */
public record Failure(ErrorReason reason, String message, Map<String, String> metadata) {

  public Failure {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    metadata = Map.copyOf(metadata);
  }

  public static Failure of(ErrorReason reason, String message) {
    return new Failure(reason, message, Map.of());
  }

  /** INVALID_FIELD naming the field, the same shape as {@code EventValidator.invalid}. */
  public static Failure invalidField(String field, String problem) {
    return new Failure(ErrorReason.INVALID_FIELD, field + " " + problem, Map.of("field", field));
  }
}
