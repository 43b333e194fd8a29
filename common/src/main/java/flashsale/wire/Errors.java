package flashsale.wire;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;
import java.util.Optional;

/** Builds gRPC errors that carry a {@code google.rpc.ErrorInfo}, and reads the reason back. */
public final class Errors {
  public static final String DOMAIN = "flashsale.dev";

  private Errors() {}

  public static StatusRuntimeException error(ErrorReason reason, String description) {
    return error(reason, description, Map.of());
  }

  public static StatusRuntimeException error(
      ErrorReason reason, String description, Map<String, String> metadata) {
    ErrorInfo info =
        ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN).putAllMetadata(metadata).build();
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(reason.code().value())
            .setMessage(description)
            .addDetails(Any.pack(info))
            .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** The ErrorInfo reason of a failed call, if the server sent one. */
  public static Optional<String> reasonOf(Throwable t) {
    return infoOf(t).map(ErrorInfo::getReason);
  }

  /** The ErrorInfo of a failed call, if the server sent one. */
  public static Optional<ErrorInfo> infoOf(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) return Optional.empty();
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return Optional.of(detail.unpack(ErrorInfo.class));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
