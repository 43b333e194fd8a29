package flashsale.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  /** A caller's megabyte echoed back is cut to what a client accepts in trailers, and not kept. */
  @Test
  void aLongAnswerIsCutAndNotKept() {
    int held = Errors.encodedHeld();
    var e = Errors.error(ErrorReason.INVALID_FIELD, "currency_code must be an ISO 4217 code, got '" + "X".repeat(900_000) + "'",
        Map.of("field", "currency_code", "value", "Y".repeat(50_000)));
    assertTrue(e.getStatus().getDescription().length() <= Errors.MAX_ECHO_CHARS + 40, e.getStatus().getDescription().length() + " chars");
    assertTrue(e.getStatus().getDescription().endsWith("(899022 more characters)"), e.getStatus().getDescription());
    assertTrue(Errors.infoOf(e).orElseThrow().getMetadataOrThrow("value").length() <= Errors.MAX_ECHO_CHARS + 40);
    assertEquals(held, Errors.encodedHeld(), "a long answer is encoded each time, not kept");
  }

  /** Answers are made by the thousand under abuse: none captures the stack that built it. */
  @Test
  void anAnswerCarriesNoStackTrace() {
    StatusRuntimeException e = Errors.error(ErrorReason.INVALID_FIELD, "user_id: must be 1 to 64 of [A-Za-z0-9._:-]");
    assertEquals(0, e.getStackTrace().length);
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(Optional.of("INVALID_FIELD"), Errors.reasonOf(e));
  }

  /**
   * The same answer again (a rate-limited user told the same thing) says the same, in trailers of
   * its own: gRPC writes its status into them, so one call's trailers must not become another's.
   */
  @Test
  void aRepeatedAnswerSaysTheSameInTrailersOfItsOwn() {
    var first = Errors.error(ErrorReason.RATE_LIMITED, "user u is over 20.0 new purchases per second; retry in 12 ms",
        Map.of("limit", "user_id", "retry_delay_ms", "12"), Duration.ofMillis(12));
    var again = Errors.error(ErrorReason.RATE_LIMITED, "user u is over 20.0 new purchases per second; retry in 12 ms",
        Map.of("limit", "user_id", "retry_delay_ms", "12"), Duration.ofMillis(12));
    assertNotSame(first.getTrailers(), again.getTrailers());
    io.grpc.Metadata.Key<String> added = io.grpc.Metadata.Key.of("grpc-status", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
    first.getTrailers().put(added, "8");
    assertNull(again.getTrailers().get(added));
    assertEquals(first.getStatus().getDescription(), again.getStatus().getDescription());
    assertEquals(Errors.infoOf(first), Errors.infoOf(again));
    assertEquals(Optional.of(Duration.ofMillis(12)), Errors.retryDelayOf(again));
    // A different wait is a different answer, not the one kept for 12 ms.
    var later = Errors.error(ErrorReason.RATE_LIMITED, "user u is over 20.0 new purchases per second; retry in 30 ms",
        Map.of("limit", "user_id", "retry_delay_ms", "30"), Duration.ofMillis(30));
    assertEquals(Optional.of(Duration.ofMillis(30)), Errors.retryDelayOf(later));
    assertEquals("30", Errors.infoOf(later).orElseThrow().getMetadataOrThrow("retry_delay_ms"));
  }

  /** Answers naming one request each pass through the kept ones without growing them past their bound. */
  @Test
  void keptAnswersStayBounded() {
    for (int i = 0; i < 5_000; i++) {
      var e = Errors.error(ErrorReason.PURCHASE_NOT_FOUND, "no purchase r-" + i);
      assertEquals("no purchase r-" + i, e.getStatus().getDescription());
      assertEquals("no purchase r-" + i, io.grpc.protobuf.StatusProto.fromThrowable(e).getMessage());
      assertTrue(Errors.encodedHeld() <= 1_024, "kept " + Errors.encodedHeld());
    }
  }
}
