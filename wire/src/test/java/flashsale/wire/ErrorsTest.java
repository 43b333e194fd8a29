package flashsale.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.sale.ErrorReason;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ErrorsTest {

  /** A refusal built by Errors reaches a gRPC client with its code, ErrorInfo and RetryInfo. */
  @Test
  void anAnswerCrossesGrpcWithItsDetails() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(new HealthGrpc.HealthImplBase() {
      @Override
      public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
        response.onError(Errors.error(ErrorReason.RATE_LIMITED, "user u is over 20.0 new purchases per second",
            Map.of("limit", "user_id"), Duration.ofMillis(47)));
      }
    }).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      var failure = assertThrows(StatusRuntimeException.class,
          () -> HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, failure.getStatus().getCode());
      assertEquals("user u is over 20.0 new purchases per second", failure.getStatus().getDescription());
      assertEquals(Optional.of("RATE_LIMITED"), Errors.reasonOf(failure));
      assertEquals("user_id", Errors.infoOf(failure).orElseThrow().getMetadataOrThrow("limit"));
      assertEquals(Optional.of(Duration.ofMillis(47)), Errors.retryDelayOf(failure));
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  /** Answers are made by the thousand under abuse: none captures the stack that built it. */
  @Test
  void anAnswerCarriesNoStackTrace() {
    StatusRuntimeException e = Errors.error(ErrorReason.INVALID_FIELD, "user_id: must be 1 to 64 of [A-Za-z0-9._:-]");
    assertEquals(0, e.getStackTrace().length);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(Optional.of("INVALID_FIELD"), Errors.reasonOf(e));
  }
}
